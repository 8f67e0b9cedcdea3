// Chart helpers shared by the run report and the suite report (inlined before each page's own
// script, after Chart.js): defaults, the palette, axis titles, and a chart that gives way to a
// note when there is no data. Plain browser JavaScript, no modules, no network.
var GlasslabCharts = (function () {
  'use strict';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function axis(title, extra) {
    var scale = { title: { display: true, text: title } };
    for (var key in extra || {}) scale[key] = extra[key];
    return scale;
  }

  // Draws `config` on canvas `id`, or replaces the canvas by `noDataText` when there is nothing to draw.
  function draw(id, hasData, config, noDataText) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    if (!hasData) {
      var note = document.createElement('p');
      note.className = 'nodata';
      note.textContent = noDataText;
      canvas.parentNode.style.height = 'auto';
      canvas.parentNode.replaceChild(note, canvas);
      return;
    }
    new Chart(canvas, config);
  }

  return {
    palette: ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#dc2626'],
    axis: axis,
    draw: draw,
  };
})();
