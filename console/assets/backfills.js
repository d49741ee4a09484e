// Live progress of backfills: polls /api/backfills every 2 s and redraws the list.
(function () {
  'use strict';
  var root = document.getElementById('backfills');
  var pipeline = root.dataset.pipeline;
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function row(b) {
    var p = b.progress;
    var done = p ? p.done + p.failed + p.skipped : 0;
    var pct = p && p.total ? Math.floor((100 * done) / p.total) : b.status === 'COMPLETED' ? 100 : 0;
    return '<tr data-backfill="' + esc(b.workflowId) + '"><td><code>' + esc(b.workflowId) + '</code></td><td class="status">' + esc(b.status) + (p && p.paused ? ' (paused)' : '') + '</td>' +
      '<td><progress max="100" value="' + pct + '" aria-label="progress of ' + esc(b.workflowId) + '"></progress> ' + pct + '%</td>' +
      '<td class="num">' + (p ? done + '/' + p.total : '') + '</td><td class="num">' + (p ? p.failed : '') + '</td><td class="num">' + (p ? p.running : '') + '</td>' +
      '<td class="num">' + (p ? p.rate : '') + '</td><td>' + esc(b.startedAt) + '</td></tr>';
  }
  function load() {
    fetch('/api/backfills' + (pipeline ? '?pipeline=' + encodeURIComponent(pipeline) : ''), { credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || 'HTTP ' + r.status); return j; }); })
      .then(function (doc) {
        root.innerHTML = doc.backfills.length === 0 ? '<p>No backfills.</p>' :
          '<table class="grid" aria-label="backfills"><thead><tr><th>backfill</th><th>status</th><th>progress</th><th>done</th><th>failed</th><th>running</th><th>per s</th><th>started</th></tr></thead><tbody>' +
          doc.backfills.map(row).join('') + '</tbody></table>';
        root.dataset.loaded = 'true';
      })
      .catch(function (e) { root.innerHTML = '<p class="error" role="alert">' + esc(e.message) + '</p>'; });
  }
  load();
  setInterval(load, 2000);
})();
