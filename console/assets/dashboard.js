// A KPI dashboard: one ECharts chart per panel from the server-built options; refreshed every
// data-refresh seconds from the JSON API (same filters), without reloading the page.
(function () {
  'use strict';
  var root = document.getElementById('dashboard');
  var charts = {};
  document.querySelectorAll('.chart[id^="chart-"]').forEach(function (el) {
    var id = el.id.slice('chart-'.length);
    var chart = echarts.init(el);
    chart.setOption(JSON.parse(document.getElementById('option-' + id).textContent));
    charts[id] = chart;
  });
  window.__charts = charts;
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  var refresh = Number(root.dataset.refresh || 0);
  var stamp = document.getElementById('refreshed');
  function reload() {
    fetch(root.dataset.api, { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (doc) {
        doc.panels.forEach(function (p) { if (charts[p.id]) charts[p.id].setOption(p.option, true); });
        stamp.textContent = 'refreshed ' + new Date().toLocaleTimeString();
      })
      .catch(function (e) { stamp.textContent = 'refresh failed: ' + e.message; });
  }
  if (refresh > 0) setInterval(reload, refresh * 1000);
  document.body.dataset.chartsReady = 'true';
})();
