/* coordhub area picker: turns <select data-area-picker="/maps/areas.json"> (one or several admin areas) into a
   search box (name or P-code, with the parent shown), chips for the chosen areas and an optional map to pick
   from; and <select data-sector-of='{"type id": sector id}'> into a list filtered by the chosen sector. The
   original select stays in the form (hidden), so the server receives exactly what it did before. */
(function () {
  "use strict";

  function text(tag, className, content) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (content !== undefined) { element.textContent = content; }
    return element;
  }

  function normalise(value) {
    return (value || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function picker(select) {
    var labels = JSON.parse(select.dataset.pickerLabels || "{}");
    var multiple = select.multiple;
    var box = text("div", "area-picker");
    var chips = text("div", "chips d-flex flex-wrap gap-1 mb-2");
    var row = text("div", "input-group input-group-sm");
    var search = text("input", "form-control");
    search.type = "search";
    search.placeholder = labels.search || "Type a name or P-code";
    search.setAttribute("aria-label", labels.search || "Type a name or P-code");
    search.setAttribute("autocomplete", "off");
    var mapButton = text("button", "btn btn-outline-secondary", labels.map || "Pick on the map");
    mapButton.type = "button";
    row.appendChild(search);
    row.appendChild(mapButton);
    var results = text("div", "results list-group mt-1");
    var mapBox = text("div", "coordhub-map small-map mt-2 d-none");
    box.appendChild(chips);
    box.appendChild(row);
    box.appendChild(results);
    box.appendChild(mapBox);
    select.classList.add("d-none");
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(box, select.nextSibling);
    var areas = [], byId = {}, map = null, markers = {}, byPcode = {};

    function option(id) { return select.querySelector("option[value=\"" + id + "\"]"); }

    function renderChips() {
      chips.innerHTML = "";
      Array.prototype.forEach.call(select.selectedOptions, function (chosen) {
        var area = byId[chosen.value];
        var chip = text("span", "badge text-bg-primary d-inline-flex align-items-center",
          area ? area.name + " (" + area.pcode + ")" : chosen.textContent.trim());
        chip.dataset.pcode = area ? area.pcode : "";
        var remove = text("button", "btn-close btn-close-white ms-1");
        remove.type = "button";
        remove.setAttribute("aria-label", (labels.remove || "Remove") + " " + chip.textContent);
        remove.addEventListener("click", function () { toggle(chosen.value, false); });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      if (!select.selectedOptions.length) { chips.appendChild(text("span", "text-muted small", labels.none || "")); }
      Object.keys(markers).forEach(function (id) {
        markers[id].setStyle({fillColor: option(id) && option(id).selected ? "#0d6efd" : "#ffffff"});
      });
    }

    function toggle(id, on) {
      var element = option(id);
      if (!element) { return; }
      if (!multiple && on) { Array.prototype.forEach.call(select.options, function (o) { o.selected = false; }); }
      element.selected = on === undefined ? !element.selected : on;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      renderChips();
    }

    function find() {
      var wanted = normalise(search.value.trim());
      results.innerHTML = "";
      if (!wanted) { return; }
      areas.filter(function (area) {
        return normalise(area.name).indexOf(wanted) !== -1 || normalise(area.pcode).indexOf(wanted) === 0;
      }).slice(0, 12).forEach(function (area) {
        var item = text("button", "list-group-item list-group-item-action py-1");
        item.type = "button";
        item.dataset.pcode = area.pcode;
        item.appendChild(text("span", "", area.name + " (" + area.pcode + ")"));
        if (area.parent) { item.appendChild(text("span", "text-muted small ms-2", (labels.in || "in") + " " + area.parent)); }
        item.addEventListener("click", function () {
          toggle(String(area.id), true);
          search.value = "";
          results.innerHTML = "";
          search.focus();
        });
        results.appendChild(item);
      });
    }

    function showMap() {
      mapBox.classList.toggle("d-none");
      if (map || mapBox.classList.contains("d-none") || !window.L) { return; }
      map = L.map(mapBox, {preferCanvas: true, attributionControl: false});
      var group = L.featureGroup().addTo(map);
      areas.forEach(function (area) {
        if (area.lat === null || area.lon === null) { return; }
        var marker = L.circleMarker([area.lat, area.lon], {radius: 4 + 8 / (1 + area.level), color: "#495057",
          weight: 1, fillOpacity: 0.9, fillColor: "#ffffff"});
        marker.bindTooltip(area.name + " (" + area.pcode + ")" + (area.parent ? " · " + area.parent : ""));
        marker.on("click", function () { toggle(String(area.id)); });
        markers[area.id] = marker;
        byPcode[area.pcode] = marker;
        group.addLayer(marker);
      });
      if (group.getLayers().length) { map.fitBounds(group.getBounds(), {padding: [10, 10]}); }
      mapBox.coordhub = {map: map, markers: byPcode};
      renderChips();
    }

    search.addEventListener("input", find);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var first = results.querySelector("button");
        if (first) { first.click(); }
      }
    });
    mapButton.addEventListener("click", showMap);
    fetch(select.dataset.areaPicker, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (data) {
        areas = data.areas;
        areas.forEach(function (area) { byId[area.id] = area; });
        renderChips();
        box.dataset.ready = "1";
      });
  }

  function sectorFilter(select) {
    var sectorOf = JSON.parse(select.dataset.sectorOf);
    var sector = select.form && select.form.elements[select.dataset.sectorField || "sector_id"];
    if (!sector) { return; }
    function apply() {
      Array.prototype.forEach.call(select.options, function (item) {
        var of = sectorOf[item.value];
        item.hidden = item.disabled = of !== undefined && String(of) !== String(sector.value);
      });
      if (select.selectedOptions.length && select.selectedOptions[0].hidden) { select.value = ""; }
    }
    sector.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-area-picker]").forEach(picker);
    document.querySelectorAll("select[data-sector-of]").forEach(sectorFilter);
  });
})();
