// Draws the report's charts from the embedded JSON with the inlined Chart.js (global `Chart`).
// Plain browser JavaScript, no modules, no network.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('glasslab-data').textContent);
  var series = data.series;
  var palette = GlasslabCharts.palette;
  var kindColors = { media: '#2563eb', rtx: '#ea580c', fec: '#16a34a', padding: '#9ca3af' };
  var axis = GlasslabCharts.axis;
  function draw(id, hasData, config) {
    GlasslabCharts.draw(id, hasData, config, 'No data for this chart in this run.');
  }

  // The link timeline's changes (seconds, same origin as every time axis) as vertical lines on
  // each chart with a time axis: an inline plugin, no extra library.
  var changesS = data.link ? data.link.changesS : [];
  var markers = {
    id: 'timelineMarkers',
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#c0262d';
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1.5;
      changesS.forEach(function (t) {
        var px = x.getPixelForValue(t);
        if (px < area.left || px > area.right) return;
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      });
      ctx.restore();
    }
  };
  var g2gPoints = series.g2g.captureS.map(function (t, i) { return { x: t, y: series.g2g.g2gMs[i] }; });
  var freezePoints = series.freezes.map(function (f) { return { x: f.startS, y: 0, duration: f.durationMs }; });
  draw('chart-g2g-timeline', g2gPoints.length > 0, {
    type: 'scatter',
    data: { datasets: [
      { label: 'glass-to-glass per frame (ms)', data: g2gPoints, showLine: true, borderColor: palette[0], backgroundColor: palette[0], borderWidth: 1, pointRadius: 1.2 },
      { label: 'freeze starts', data: freezePoints, pointStyle: 'triangle', pointRadius: 6, borderColor: '#c0262d', backgroundColor: '#c0262d' }
    ] },
    options: {
      scales: { x: axis('capture time (s)'), y: axis('ms', { beginAtZero: true }) },
      plugins: { tooltip: { callbacks: { label: function (ctx) {
        if (ctx.datasetIndex === 1) return 'freeze ' + ctx.raw.duration.toFixed(0) + ' ms';
        return 'frame ' + series.g2g.frameId[ctx.dataIndex] + ': ' + ctx.parsed.y.toFixed(2) + ' ms';
      } } } }
    },
    plugins: [markers]
  });

  draw('chart-g2g-cdf', series.cdf.length > 0, {
    type: 'scatter',
    data: { datasets: [{ label: 'fraction of frames ≤ latency', data: series.cdf.map(function (p) { return { x: p.value, y: p.fraction }; }), showLine: true, stepped: 'after', borderColor: palette[3], backgroundColor: palette[3], pointRadius: 0, borderWidth: 2 }] },
    options: { scales: { x: axis('glass-to-glass (ms)'), y: axis('fraction', { min: 0, max: 1 }) } }
  });

  var stageNames = Object.keys(series.stagesOverTime.meanMs);
  draw('chart-stages', series.stagesOverTime.binStartS.length > 0, {
    type: 'bar',
    data: {
      labels: series.stagesOverTime.binStartS.map(function (t) { return t.toFixed(0) + ' s'; }),
      datasets: stageNames.map(function (name, i) {
        return { label: name, data: series.stagesOverTime.meanMs[name], backgroundColor: palette[i % palette.length], stack: 'stages' };
      })
    },
    options: { scales: { x: axis('capture time (bin start, ' + series.stagesOverTime.binMs / 1000 + ' s bins)', { stacked: true }), y: axis('mean ms per frame', { stacked: true, beginAtZero: true }) } }
  });

  var kinds = Object.keys(series.bitrate.byKind).filter(function (kind) {
    return series.bitrate.byKind[kind].some(function (v) { return v > 0; });
  });
  draw('chart-bitrate', series.bitrate.binStartS.length > 0, {
    type: 'line',
    data: {
      datasets: kinds.map(function (kind) {
        var points = series.bitrate.byKind[kind].map(function (v, i) { return { x: series.bitrate.binStartS[i], y: v / 1000 }; });
        return { label: kind + ' (kbit/s)', data: points, borderColor: kindColors[kind], backgroundColor: kindColors[kind] + '55', fill: true, pointRadius: 0, borderWidth: 1.5 };
      })
    },
    options: { scales: { x: axis('time (s)', { type: 'linear' }), y: axis('kbit/s', { stacked: true, beginAtZero: true }) } },
    plugins: [markers]
  });

  var congestion = series.congestion || [];
  if (congestion.length > 0) {
    var kbps = function (v) { return v === null ? null : v / 1000; };
    var line = function (label, color, points, extra) {
      var set = { label: label, data: points, borderColor: color, backgroundColor: color, showLine: true, pointRadius: 0, borderWidth: 2 };
      Object.keys(extra || {}).forEach(function (k) { set[k] = extra[k]; });
      return set;
    };
    var byPeer = congestion.some(function (c) { return c.peer === 'chromium'; });
    var sets = byPeer ? [
      // the Chromium sender: libwebrtc's own GoogCC as its getStats samples show it
      line('libwebrtc encoder target (targetBitrate)', palette[0], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.targetBps) }; }), { stepped: 'before' }),
      line('libwebrtc estimate (availableOutgoingBitrate)', palette[3], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.estimateBps === undefined ? null : c.estimateBps) }; }), { borderWidth: 1, borderDash: [2, 2], stepped: 'before' }),
      line('sent', '#9ca3af', series.bitrate.binStartS.map(function (t, i) { return { x: t, y: series.bitrate.totalBps[i] / 1000 }; }), { borderWidth: 1, stepped: 'after' })
    ] : [
      line('target (kbit/s)', palette[0], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.targetBps) }; }), { stepped: 'before' }),
      line('delay-based', palette[3], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.delayBasedBps) }; }), { borderWidth: 1, borderDash: [2, 2], stepped: 'before' }),
      line('loss-based', palette[4], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.lossBasedBps) }; }), { borderWidth: 1, borderDash: [6, 3], stepped: 'before' }),
      line('acknowledged', palette[2], congestion.map(function (c) { return { x: c.timeS, y: kbps(c.ackedBps) }; }), { borderWidth: 1 }),
      line('encoder target', palette[5] || '#7c3aed', congestion.map(function (c) { return { x: c.timeS, y: c.encoderBps === undefined ? null : kbps(c.encoderBps) }; }), { borderWidth: 1, stepped: 'before' }),
      line('sent', '#9ca3af', series.bitrate.binStartS.map(function (t, i) { return { x: t, y: series.bitrate.totalBps[i] / 1000 }; }), { borderWidth: 1, stepped: 'after' })
    ];
    if (data.link && data.link.up && data.link.up.configured.rateBps.some(function (r) { return r !== null; })) {
      sets.push(line('capacity (configured, up)', '#c0262d', data.link.binStartS.map(function (t, i) { return { x: t, y: kbps(data.link.up.configured.rateBps[i]) }; }), { borderDash: [6, 3], stepped: 'after' }));
    }
    var scales = { x: axis('time (s)', { type: 'linear' }), y: axis('kbit/s', { beginAtZero: true }) };
    if (data.link && data.link.up) {
      // queueing delay per bin: measured one-way delay less the configured delay (fate log), right axis
      var up = data.link.up;
      sets.push(line('queueing delay (ms, right axis)', '#6b7280', data.link.binStartS.map(function (t, i) {
        var measured = up.measured.delayMs[i];
        return { x: t, y: measured === null || measured === undefined ? null : Math.max(0, measured - up.configured.delayMs[i]) };
      }), { borderWidth: 1, borderDash: [1, 2], yAxisID: 'y2' }));
      scales.y2 = axis('queueing delay (ms)', { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } });
    }
    draw('chart-congestion', true, {
      type: 'scatter',
      data: { datasets: sets },
      options: { scales: scales },
      plugins: [markers]
    });
  }

  var packets = data.results.summary.packets;
  var kindNames = ['media', 'rtx', 'fec', 'padding'];
  var anyPackets = kindNames.some(function (k) { return packets.sent[k].count + packets.received[k].count > 0; });
  draw('chart-packets', anyPackets, {
    type: 'bar',
    data: {
      labels: kindNames,
      datasets: [
        { label: 'sent', data: kindNames.map(function (k) { return packets.sent[k].count; }), backgroundColor: palette[0] },
        { label: 'received', data: kindNames.map(function (k) { return packets.received[k].count; }), backgroundColor: palette[1] }
      ]
    },
    options: { scales: { x: axis('packet kind'), y: axis('packets', { beginAtZero: true }) } }
  });
  // Link charts: per direction measured (solid) and configured (dashed) over time.
  var link = data.link;
  if (link) {
    var dirColors = { up: palette[0], down: palette[2] };
    var linkChart = function (id, metric, unit, scale) {
      var datasets = [];
      ['up', 'down'].forEach(function (dir) {
        var points = function (values) {
          return values.map(function (v, i) { return { x: link.binStartS[i], y: v === null || v === undefined ? null : v * scale }; });
        };
        datasets.push({ label: dir + ' measured', data: points(link[dir].measured[metric]), borderColor: dirColors[dir], backgroundColor: dirColors[dir], pointRadius: 0, borderWidth: 1.5, spanGaps: false });
        datasets.push({ label: dir + ' configured', data: points(link[dir].configured[metric]), borderColor: dirColors[dir], backgroundColor: dirColors[dir], borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, stepped: 'before', spanGaps: false });
      });
      var hasData = link.binStartS.length > 0 && datasets.some(function (d) { return d.data.some(function (p) { return p.y !== null; }); });
      draw(id, hasData, {
        type: 'line',
        data: { datasets: datasets },
        options: { scales: { x: axis('time (s)', { type: 'linear' }), y: axis(unit, { beginAtZero: true }) } },
        plugins: [markers]
      });
    };
    linkChart('chart-link-delay', 'delayMs', 'ms', 1);
    linkChart('chart-link-loss', 'loss', '% of packets', 100);
    linkChart('chart-link-rate', 'rateBps', 'kbit/s', 1 / 1000);
    linkChart('chart-link-queue', 'queuePackets', 'packets', 1);
  }

  // Loss recovery: outcomes per bin of drop time, RTX latency CDFs, G2G by path, FEC factors.
  var recovery = data.results.recovery;
  var recoverySeries = data.recovery;
  if (recovery && recoverySeries) {
    var outcomeColors = { fec: '#16a34a', rtx: '#ea580c', tooLate: '#ca8a04', never: '#c0262d' };
    var outcomeNames = { fec: 'FEC', rtx: 'RTX', tooLate: 'too late', never: 'never' };
    var overTime = recovery.overTime;
    draw('chart-recovery-over-time', overTime.bins.some(function (b) { return b.dropped > 0; }), {
      type: 'bar',
      data: {
        labels: overTime.startS.map(function (t) { return t.toFixed(0) + ' s'; }),
        datasets: ['fec', 'rtx', 'tooLate', 'never'].map(function (outcome) {
          return { label: outcomeNames[outcome], data: overTime.bins.map(function (b) { return b[outcome]; }), backgroundColor: outcomeColors[outcome], stack: 'outcome' };
        })
      },
      options: { scales: { x: axis('drop time (bin start, ' + overTime.binMs / 1000 + ' s bins)', { stacked: true }), y: axis('media packets dropped', { stacked: true, beginAtZero: true }) } }
    });

    var cdfSet = function (label, points, color) {
      return { label: label, data: points.map(function (p) { return { x: p.value, y: p.fraction }; }), showLine: true, stepped: 'after', borderColor: color, backgroundColor: color, pointRadius: 1.5, borderWidth: 2 };
    };
    draw('chart-recovery-latency', recoverySeries.nackToRtxCdf.length + recoverySeries.lossToRtxCdf.length > 0, {
      type: 'scatter',
      data: { datasets: [
        cdfSet('first NACK → RTX arrival', recoverySeries.nackToRtxCdf, palette[2]),
        cdfSet('link drop → RTX arrival', recoverySeries.lossToRtxCdf, palette[3])
      ] },
      options: { scales: { x: axis('ms', { beginAtZero: true }), y: axis('fraction of RTX recoveries', { min: 0, max: 1 }) } }
    });

    var paths = ['clean', 'fec', 'rtx'];
    var pathNames = { clean: 'no loss', fec: 'FEC', rtx: 'RTX' };
    var stat = function (name, color) {
      return { label: name, data: paths.map(function (p) { return recovery.g2gByPath[p][name]; }), backgroundColor: color };
    };
    draw('chart-recovery-g2g', paths.some(function (p) { return recovery.g2gByPath[p].count > 0; }), {
      type: 'bar',
      data: {
        labels: paths.map(function (p) { return pathNames[p] + ' (' + recovery.g2gByPath[p].count + ' frames)'; }),
        datasets: [stat('p50', palette[0]), stat('p95', palette[2]), stat('max', palette[7])]
      },
      options: { scales: { x: axis('frames by recovery path'), y: axis('glass-to-glass (ms)', { beginAtZero: true }) } }
    });

    var rates = recoverySeries.fecRates;
    var blocks = recoverySeries.blockRates;
    var rateSets = [];
    if (rates.length > 0) {
      rateSets.push({ label: 'key factor (controller)', data: rates.map(function (r) { return { x: r.timeS, y: r.key }; }), borderColor: palette[3], backgroundColor: palette[3], stepped: 'before', showLine: true, pointRadius: 0, borderWidth: 2 });
      rateSets.push({ label: 'delta factor (controller)', data: rates.map(function (r) { return { x: r.timeS, y: r.delta }; }), borderColor: palette[1], backgroundColor: palette[1], stepped: 'before', showLine: true, pointRadius: 0, borderWidth: 2 });
      rateSets.push({ label: 'measured loss (1/255)', data: rates.map(function (r) { return { x: r.timeS, y: r.lossPercent === null ? null : r.lossPercent * 2.55 }; }), borderColor: '#9ca3af', backgroundColor: '#9ca3af', borderDash: [4, 3], stepped: 'before', showLine: true, pointRadius: 0, borderWidth: 1.5 });
    }
    if (blocks.length > 0) {
      rateSets.push({ label: 'factor per FEC block', data: blocks.map(function (b) { return { x: b.timeS, y: b.rate255 }; }), borderColor: palette[4], backgroundColor: palette[4], pointRadius: blocks.map(function (b) { return b.keyframe ? 4 : 2; }), showLine: false });
    }
    draw('chart-fec-rates', rateSets.length > 0, {
      type: 'scatter',
      data: { datasets: rateSets },
      options: { scales: { x: axis('time (s)', { type: 'linear' }), y: axis('protection factor (1/255)', { beginAtZero: true, suggestedMax: 255 }) } },
      plugins: [markers]
    });
  }
  document.body.setAttribute('data-charts-ready', 'true');
})();
