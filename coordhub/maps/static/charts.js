/* coordhub charts: every <canvas class="coordhub-chart" data-chart="{...}"> drawn with Chart.js (served
   locally); the same numbers are in the table beside it and in the CSV link. */
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545"];
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas.coordhub-chart").forEach(function (canvas) {
      var data = JSON.parse(canvas.dataset.chart);
      canvas.chart = new window.Chart(canvas, {
        type: data.type,
        data: {labels: data.labels, datasets: data.series.map(function (series, i) {
          return {label: series.label, data: series.values, backgroundColor: COLOURS[i % COLOURS.length],
                  borderColor: COLOURS[i % COLOURS.length], tension: 0.2};
        })},
        options: {responsive: true, maintainAspectRatio: false, animation: false,
                  scales: {y: {beginAtZero: true, max: data.unit === "%" ? 100 : undefined}},
                  plugins: {legend: {position: "bottom"}}}
      });
      canvas.dataset.ready = "1";
    });
  });
})();
