// The partition map: runs of states (from the ledger's gaps-and-islands query) expanded into a
// canvas heat map. Hourly: days × hours; daily: a calendar (months × days); monthly: years × months.
// One fillRect per partition, batched per state: 100,000 partitions draw in a few tens of ms.
(function () {
  'use strict';
  var started = performance.now();
  var data = JSON.parse(document.getElementById('map-data').textContent);
  var STATES = ['succeeded', 'stale', 'failed', 'running', 'missing'];
  var COLORS = { succeeded: '#2e9e4f', stale: '#e0a800', failed: '#d43c3c', running: '#3b7dd8', missing: '#dfe3e8' };
  var g = data.granularity;
  var total = data.total;
  var fromPos = data.fromPos;
  var states = new Uint8Array(total);
  for (var r = 0; r < data.runs.length; r++) {
    var run = data.runs[r];
    states.fill(STATES.indexOf(run.state), run.start - fromPos, run.start - fromPos + run.length);
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function keyOf(pos) {
    if (g === 'monthly') return Math.floor(pos / 12) + '-' + pad((pos % 12) + 1);
    var iso = new Date(pos * (g === 'hourly' ? 3600000 : 86400000)).toISOString();
    return g === 'hourly' ? iso.slice(0, 13) : iso.slice(0, 10);
  }
  // Layout: cell (col,row) of a position, and back.
  var layout;
  if (g === 'hourly') {
    var day0 = Math.floor(fromPos / 24);
    layout = {
      cols: Math.floor((fromPos + total - 1) / 24) - day0 + 1, rows: 24,
      cell: function (pos) { return [Math.floor(pos / 24) - day0, pos % 24]; },
      pos: function (c, rw) { return (day0 + c) * 24 + rw; },
      rowLabel: function (rw) { return rw % 6 === 0 ? pad(rw) + 'h' : ''; },
      colLabel: function (c) { var k = keyOf((day0 + c) * 24); return k.slice(8, 10) === '01' || c === 0 ? k.slice(0, 10) : ''; },
    };
  } else if (g === 'daily') {
    var d0 = new Date(fromPos * 86400000);
    var month0 = d0.getUTCFullYear() * 12 + d0.getUTCMonth();
    var dl = new Date((fromPos + total - 1) * 86400000);
    layout = {
      cols: 31, rows: dl.getUTCFullYear() * 12 + dl.getUTCMonth() - month0 + 1,
      cell: function (pos) { var d = new Date(pos * 86400000); return [d.getUTCDate() - 1, d.getUTCFullYear() * 12 + d.getUTCMonth() - month0]; },
      pos: function (c, rw) {
        var m = month0 + rw; var ms = Date.UTC(Math.floor(m / 12), m % 12, c + 1);
        return new Date(ms).getUTCMonth() === m % 12 ? ms / 86400000 : -1;
      },
      rowLabel: function (rw) { var m = month0 + rw; return Math.floor(m / 12) + '-' + pad((m % 12) + 1); },
      colLabel: function (c) { return (c + 1) % 5 === 0 || c === 0 ? String(c + 1) : ''; },
    };
  } else {
    var year0 = Math.floor(fromPos / 12);
    layout = {
      cols: 12, rows: Math.floor((fromPos + total - 1) / 12) - year0 + 1,
      cell: function (pos) { return [pos % 12, Math.floor(pos / 12) - year0]; },
      pos: function (c, rw) { return (year0 + rw) * 12 + c; },
      rowLabel: function (rw) { return String(year0 + rw); },
      colLabel: function (c) { return pad(c + 1); },
    };
  }
  var wrap = document.getElementById('map-wrap');
  var canvas = document.getElementById('map');
  var width = Math.max(300, wrap.clientWidth - 4);
  var left = g === 'hourly' ? 34 : 64;
  var top = 18;
  var cw = Math.max(g === 'hourly' ? 1 : 8, Math.min(g === 'monthly' ? 48 : 24, Math.floor((width - left) / layout.cols)));
  var ch = g === 'hourly' ? Math.max(8, Math.min(18, cw)) : Math.max(10, Math.min(24, cw));
  var gap = cw > 4 ? 1 : 0;
  canvas.width = left + layout.cols * cw + 2;
  canvas.height = top + layout.rows * ch + 2;
  var ctx = canvas.getContext('2d', { alpha: false });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#555';
  ctx.font = '10px sans-serif';
  ctx.textBaseline = 'middle';
  for (var rw = 0; rw < layout.rows; rw++) { var rl = layout.rowLabel(rw); if (rl) ctx.fillText(rl, 2, top + rw * ch + ch / 2); }
  var lastLabelEnd = -1;
  for (var c = 0; c < layout.cols; c++) {
    var cl = layout.colLabel(c);
    var x = left + c * cw;
    if (cl && x > lastLabelEnd) { ctx.fillText(cl, x, 8); lastLabelEnd = x + ctx.measureText(cl).width + 6; }
  }
  // One path per state: a rect per partition, filled once.
  for (var s = 0; s < STATES.length; s++) {
    ctx.fillStyle = COLORS[STATES[s]];
    ctx.beginPath();
    for (var i = 0; i < total; i++) {
      if (states[i] !== s) continue;
      var cell = layout.cell(fromPos + i);
      ctx.rect(left + cell[0] * cw, top + cell[1] * ch, cw - gap, ch - gap);
    }
    ctx.fill();
  }
  var tip = document.getElementById('map-tip');
  function at(ev) {
    var b = canvas.getBoundingClientRect();
    var c2 = Math.floor((ev.clientX - b.left - left) / cw);
    var r2 = Math.floor((ev.clientY - b.top - top) / ch);
    if (c2 < 0 || r2 < 0 || c2 >= layout.cols || r2 >= layout.rows) return null;
    var p = layout.pos(c2, r2);
    var idx = p - fromPos;
    return idx >= 0 && idx < total ? { key: keyOf(p), state: STATES[states[idx]] } : null;
  }
  canvas.addEventListener('mousemove', function (ev) {
    var hit = at(ev);
    canvas.style.cursor = hit ? 'pointer' : 'default';
    tip.textContent = hit ? hit.key + ' — ' + hit.state : 'hover a cell; click to open the partition';
  });
  canvas.addEventListener('click', function (ev) {
    var hit = at(ev);
    if (hit) location.href = '/pipelines/' + encodeURIComponent(data.pipeline) + '/partitions/' + encodeURIComponent(hit.key);
  });
  // For tests and benchmarks: where a key's cell is on screen, and how long drawing took.
  window.__mapCellCenter = function (key) {
    for (var p = fromPos; p < fromPos + total; p++) {
      if (keyOf(p) !== key) continue;
      var cc = layout.cell(p);
      var b = canvas.getBoundingClientRect();
      return { x: b.left + left + cc[0] * cw + cw / 2, y: b.top + top + cc[1] * ch + ch / 2 };
    }
    return null;
  };
  // readyAt: ms since navigation start when the map is drawn with its handlers attached;
  // interactiveAt: when the main thread next runs a task (an input event would be handled then).
  var ready = { drawMs: performance.now() - started, readyAt: performance.now(), interactiveAt: null, partitions: total };
  setTimeout(function () { ready.interactiveAt = performance.now(); }, 0);
  window.__mapReady = ready;
  canvas.dataset.ready = 'true';
})();
