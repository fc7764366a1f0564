/* coordhub maps: draws a map layer (GeoJSON from /maps/<layer>/data) with Leaflet, its legend, the area
   panel and the PNG export. No inline script: everything comes from data- attributes and fetched JSON. */
(function () {
  "use strict";

  var PALETTES = {
    presence: ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b"],
    overlaps: ["#fee6ce", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603", "#7f2704"],
    allocation: ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
  };
  var NONE = "#ffffff";

  function classIndex(value, classes) {
    for (var i = 0; i < classes.length; i++) { if (value <= classes[i]) { return i; } }
    return classes.length - 1;
  }

  function colourOf(layer, properties, classes) {
    if (layer === "needs") {
      if (!properties.need_count) { return NONE; }
      return properties.is_gap ? "#dc3545" : "#ffc107";
    }
    if (layer === "allocation") {
      if (properties.share_met === null || properties.share_met === undefined) { return NONE; }
      return PALETTES.allocation[classIndex(properties.share_met, classes)];
    }
    var value = properties.value || 0;
    if (!value || !classes.length) { return NONE; }
    return PALETTES[layer][classIndex(value, classes)];
  }

  function escapeHtml(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function legendItems(layer, meta, labels) {
    var items = [], classes = meta.classes || [], i, low;
    if (layer === "needs") {
      return [["#dc3545", labels.gap], ["#ffc107", labels.covered], [NONE, labels.no_needs]];
    }
    if (layer === "allocation") {
      low = 0;
      for (i = 0; i < classes.length; i++) {
        items.push([PALETTES.allocation[i], Math.round(low * 100) + "–" + Math.round(classes[i] * 100) + " % " + labels.met]);
        low = classes[i];
      }
      items.push([NONE, labels.no_data]);
      return items;
    }
    items.push([NONE, "0"]);
    low = 0;
    for (i = 0; i < classes.length; i++) {
      items.push([PALETTES[layer][i], (classes[i] - low <= 1 ? classes[i] : (low + 1) + "–" + classes[i])]);
      low = classes[i];
    }
    return items;
  }

  function renderLegend(element, layer, meta, labels, hasPoints) {
    var html = "<strong>" + escapeHtml(labels.legend) + ":</strong> ";
    legendItems(layer, meta, labels).forEach(function (item) {
      html += "<span class=\"item\"><span class=\"swatch\" data-colour=\"" + item[0] + "\"></span>" +
        escapeHtml(item[1]) + "</span>";
    });
    if (layer === "allocation") {
      html += "<span class=\"item\"><span class=\"swatch flow\" data-colour=\"#6f42c1\"></span>" +
        escapeHtml(labels.flow) + "</span>";
    }
    if (hasPoints) { html += "<span class=\"item text-muted\">○ " + escapeHtml(labels.no_boundary) + "</span>"; }
    element.innerHTML = html;
    element.querySelectorAll(".swatch").forEach(function (swatch) { swatch.style.background = swatch.dataset.colour; });
    return legendItems(layer, meta, labels);
  }

  function figuresHtml(layer, p, labels) {
    var rows = [];
    if (layer === "presence") {
      rows.push([labels.organisations, p.organisations], [labels.projects, p.projects]);
      if (p.sensitive_entries) { rows.push([labels.sensitive, p.sensitive_entries]); }
    } else if (layer === "needs") {
      rows.push([labels.needs, p.need_count], [labels.organisations, p.organisation_count]);
      if (p.gap_sectors && p.gap_sectors.length) { rows.push([labels.gap_sectors, p.gap_sectors.join(", ")]); }
    } else if (layer === "allocation") {
      rows.push([labels.needed, p.needed], [labels.met, p.met],
        [labels.coverage, p.share_met === null ? "–" : Math.round(p.share_met * 100) + " %"], [labels.unmet, p.unmet_needs]);
    } else {
      rows.push([labels.alerts, p.alerts], [labels.open, p.open], [labels.acknowledged, p.acknowledged],
        [labels.resolved, p.resolved], [labels.dismissed, p.dismissed], [labels.clusters, p.clusters]);
    }
    return "<dl class=\"row mb-2\">" + rows.map(function (r) {
      return "<dt class=\"col-7 fw-normal\">" + escapeHtml(r[0]) + "</dt><dd class=\"col-5 mb-0\">" + escapeHtml(r[1]) + "</dd>";
    }).join("") + "</dl>";
  }

  function showArea(state, pcode) {
    var feature = state.byPcode[pcode];
    if (!feature) { return; }
    var p = feature.properties, labels = state.labels, panel = state.panel;
    panel.innerHTML = "<div class=\"card-body\"><h2 class=\"h6\" id=\"area-name\">" + escapeHtml(p.name) +
      " <span class=\"text-muted\">(" + escapeHtml(p.pcode) + ")</span></h2>" + figuresHtml(state.layer, p, labels) +
      "<div id=\"area-list\"></div></div>";
    panel.dataset.pcode = pcode;
    if (state.areaUrl) {
      var list = panel.querySelector("#area-list");
      list.textContent = labels.loading;
      fetch(state.areaUrl.replace("__PCODE__", encodeURIComponent(pcode)), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.error) { list.textContent = data.error.message; return; }
          var html = "";
          if (data.organisations.length) {
            html += "<p class=\"mb-1\"><strong>" + escapeHtml(labels.organisations) + ":</strong> " +
              data.organisations.map(escapeHtml).join(", ") + "</p>";
          }
          html += "<ul class=\"list-unstyled mb-2 area-projects\">" + data.projects.map(function (item) {
            return "<li><a href=\"" + escapeHtml(item.url) + "\">" + escapeHtml(item.title) + "</a>" +
              (item.organisation ? " · " + escapeHtml(item.organisation) : "") +
              " <span class=\"text-muted\">" + escapeHtml(item.sector) + "</span></li>";
          }).join("") + "</ul>";
          if (data.total > data.projects.length) {
            html += "<p class=\"text-muted\">" + data.projects.length + " " + escapeHtml(labels.shown_of) + " " + data.total + "</p>";
          }
          html += "<a class=\"btn btn-sm btn-outline-primary\" href=\"" + escapeHtml(data.list_url) + "\">" +
            escapeHtml(labels.see_list) + "</a>";
          list.innerHTML = html;
        });
    }
  }

  function draw(element) {
    var labels = JSON.parse(element.dataset.labels || "{}");
    var layer = element.dataset.layer;
    var state = {layer: layer, labels: labels, panel: document.getElementById("area-panel"),
                 areaUrl: element.dataset.areaUrl, byPcode: {}};
    var map = L.map(element, {preferCanvas: true, zoomSnap: 0.25, attributionControl: false});
    var renderer = L.canvas({padding: 0});
    if (element.dataset.tiles) { L.tileLayer(element.dataset.tiles, {crossOrigin: true}).addTo(map); }
    state.map = map;
    element.coordhub = state;
    return fetch(element.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (collection) {
        var meta = collection.metadata || {}, classes = meta.classes || [], maxValue = 0, hasPoints = false;
        collection.features.forEach(function (f) {
          if (f.properties.pcode) { maxValue = Math.max(maxValue, f.properties.value || 0); }
        });
        var group = L.featureGroup().addTo(map);
        collection.features.forEach(function (feature) {
          var p = feature.properties, shape;
          if (!feature.geometry) { return; }
          if (p.kind === "flow") {
            var c = feature.geometry.coordinates;
            shape = L.polyline([[c[0][1], c[0][0]], [c[1][1], c[1][0]]], {renderer: renderer, color: "#6f42c1",
              weight: 1 + Math.min(6, Math.log(1 + p.quantity)), opacity: 0.7});
            shape.bindTooltip(p.from + " → " + p.to + ": " + p.quantity);
            group.addLayer(shape);
            return;
          }
          state.byPcode[p.pcode] = feature;
          var colour = colourOf(layer, p, classes);
          if (feature.geometry.type === "Point") {
            hasPoints = true;
            var magnitude = layer === "allocation" ? (p.needed ? 1 : 0) : (p.value || 0);
            var radius = 5 + (maxValue > 0 && layer !== "allocation" ? 20 * Math.sqrt(magnitude / maxValue) : 4);
            shape = L.circleMarker([feature.geometry.coordinates[1], feature.geometry.coordinates[0]], {
              renderer: renderer, radius: radius, color: "#495057", weight: 1, fillColor: colour, fillOpacity: 0.85});
          } else {
            shape = L.geoJSON(feature, {renderer: renderer, style: {color: "#495057", weight: 1, fillColor: colour,
              fillOpacity: 0.8}});
          }
          if (layer === "allocation" && p.unmet_needs) {
            shape.setStyle({color: "#dc3545", weight: 3});
          }
          shape.bindTooltip(p.name + " (" + p.pcode + ")");
          shape.on("click", function () { showArea(state, p.pcode); });
          group.addLayer(shape);
        });
        if (group.getLayers().length) { map.fitBounds(group.getBounds(), {padding: [12, 12]}); }
        else { map.setView([0, 0], 2); }
        state.legend = renderLegend(document.getElementById("map-legend"), layer, meta, labels, hasPoints);
        state.renderer = renderer;
        element.dataset.ready = "1";
      });
  }

  function exportPng(element) {
    var state = element.coordhub, canvas = state.renderer && state.renderer._container;
    var box = element.getBoundingClientRect(), legendHeight = 28 + 20 * Math.ceil(state.legend.length / 4);
    var out = document.createElement("canvas"), ratio = window.devicePixelRatio || 1;
    out.width = box.width * ratio; out.height = (box.height + 40 + legendHeight) * ratio;
    var ctx = out.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, box.width, box.height + 40 + legendHeight);
    ctx.fillStyle = "#212529"; ctx.font = "bold 15px sans-serif";
    ctx.fillText(element.dataset.title, 8, 24, box.width - 16);
    if (canvas) {
      var c = canvas.getBoundingClientRect();
      ctx.drawImage(canvas, c.left - box.left, c.top - box.top + 40, c.width, c.height);
    }
    ctx.font = "12px sans-serif";
    state.legend.forEach(function (item, i) {
      var x = 8 + (i % 4) * (box.width / 4), y = box.height + 60 + Math.floor(i / 4) * 20;
      ctx.fillStyle = item[0]; ctx.fillRect(x, y - 10, 12, 12);
      ctx.strokeStyle = "#6c757d"; ctx.strokeRect(x, y - 10, 12, 12);
      ctx.fillStyle = "#212529"; ctx.fillText(String(item[1]), x + 18, y, box.width / 4 - 24);
    });
    var link = document.createElement("a");
    link.download = "coordhub-" + state.layer + ".png";
    link.href = out.toDataURL("image/png");
    document.body.appendChild(link);
    link.click();
    link.remove();
    return link.href.length;
  }

  window.coordhubMaps = {draw: draw, showArea: showArea, exportPng: exportPng};

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("map");
    if (!element || !window.L) { return; }
    draw(element);
    var button = document.getElementById("export-png");
    if (button) { button.addEventListener("click", function () { exportPng(element); }); }
    document.querySelectorAll(".area-details").forEach(function (b) {
      b.addEventListener("click", function () { showArea(element.coordhub, b.dataset.pcode); });
    });
  });
})();
