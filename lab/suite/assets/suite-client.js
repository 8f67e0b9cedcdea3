// Draws the suite report's charts from the embedded suite.json with the inlined Chart.js
// (global `Chart`). Plain browser JavaScript, no modules, no network.
(function () {
  'use strict';
  var suite = JSON.parse(document.getElementById('glasslab-suite-data').textContent);
  var palette = GlasslabCharts.palette;
  var fateColors = { fec: '#16a34a', rtx: '#2563eb', tooLate: '#ca8a04', never: '#c0262d' };

  var axes = suite.axes.map(function (a) { return a.name; });
  var first = axes[0];
  // variants of the first axis in axis order: the colour groups
  var groups = suite.axes.length > 0 ? suite.axes[0].variants : ['run'];
  var groupOf = function (run) { return first === undefined ? 'run' : run.variants[first]; };
  var colorOf = function (group) { return palette[Math.max(0, groups.indexOf(group)) % palette.length]; };
  // a run's label: its variant names (the suite name is the same on every run)
  var labelOf = function (run) { return axes.map(function (a) { return run.variants[a]; }).join(' · '); };
  var runs = suite.runs;
  var labels = runs.map(labelOf);

  var axis = GlasslabCharts.axis;
  function draw(id, hasData, config) {
    GlasslabCharts.draw(id, hasData, config, 'No run of this suite has data for this chart (yet).');
  }

  var recovery = function (run) { return run.results && run.results.recovery; };
  var percentOfDropped = function (run, key) {
    var r = recovery(run);
    return r && r.dropped > 0 ? (100 * r[key]) / r.dropped : null;
  };

  // 1. stacked bars: fec / rtx / too late / never, % of dropped media packets, per run
  var fates = [['fec', 'FEC'], ['rtx', 'RTX'], ['tooLate', 'too late'], ['never', 'never']];
  draw('chart-suite-recovery', runs.some(function (run) { var r = recovery(run); return r && r.dropped > 0; }), {
    type: 'bar',
    data: {
      labels: labels,
      datasets: fates.map(function (f) {
        return { label: f[1], data: runs.map(function (run) { return percentOfDropped(run, f[0]); }), backgroundColor: fateColors[f[0]], stack: 'fates' };
      })
    },
    options: {
      scales: {
        x: axis(first === undefined ? 'run' : 'run (grouped by ' + first + ')', { stacked: true, ticks: { autoSkip: false, maxRotation: 90, minRotation: 45 } }),
        y: axis('% of dropped media packets', { stacked: true, beginAtZero: true, max: 100 })
      },
      plugins: { tooltip: { callbacks: { afterTitle: function (items) {
        var r = recovery(runs[items[0].dataIndex]);
        return r ? r.dropped + ' media packets dropped' : '';
      } } } }
    }
  });

  // 2. scatter: FEC overhead vs residual loss, one dataset per first-axis variant
  var scatterSets = groups.map(function (group) {
    var points = [];
    runs.forEach(function (run) {
      var r = recovery(run);
      if (groupOf(run) !== group || !r || r.fecOverhead === null || r.residualLoss === null) return;
      points.push({ x: 100 * r.fecOverhead, y: 100 * r.residualLoss, run: labelOf(run) });
    });
    return { label: group, data: points, backgroundColor: colorOf(group), borderColor: colorOf(group), pointRadius: 5 };
  }).filter(function (d) { return d.data.length > 0; });
  draw('chart-suite-overhead', scatterSets.length > 0, {
    type: 'scatter',
    data: { datasets: scatterSets },
    options: {
      scales: { x: axis('FEC overhead (% of media bytes)', { beginAtZero: true }), y: axis('residual loss (% of media packets)', { beginAtZero: true }) },
      plugins: { tooltip: { callbacks: { label: function (ctx) {
        return ctx.raw.run + ': overhead ' + ctx.raw.x.toFixed(1) + ' %, residual ' + ctx.raw.y.toFixed(2) + ' %';
      } } } }
    }
  });

  // 3. bars: G2G p95 per run, coloured by first-axis variant (one dataset per group, not grouped side by side)
  var g2gSets = groups.map(function (group) {
    return {
      label: group,
      data: runs.map(function (run) { return groupOf(run) === group && run.results ? run.results.g2gP95Ms : null; }),
      backgroundColor: colorOf(group),
      grouped: false
    };
  }).filter(function (d) { return d.data.some(function (v) { return v !== null; }); });
  draw('chart-suite-g2g', g2gSets.length > 0, {
    type: 'bar',
    data: { labels: labels, datasets: g2gSets },
    options: { scales: { x: axis('run', { ticks: { autoSkip: false, maxRotation: 90, minRotation: 45 } }), y: axis('G2G p95 (ms)', { beginAtZero: true }) } }
  });

  document.body.setAttribute('data-charts-ready', 'true');
})();
