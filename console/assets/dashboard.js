// A KPI dashboard: one ECharts chart per panel from the server-built options; refreshed every
// data-refresh seconds from the JSON API (same filters), without reloading the page.
(function () {
  'use strict';
  var root = document.getElementById('dashboard');
  var charts = {};
  // A kpi panel's option is { kpi: [{ name, value, status }], unit }: number tiles drawn as text
  // (readable, selectable), with the same setOption(option) surface as an ECharts chart.
  function tiles(el) {
    el.classList.add('kpi');
    el.setAttribute('role', 'list');
    return {
      setOption: function (option) {
        el.textContent = '';
        option.kpi.forEach(function (t) {
          var tile = document.createElement('div');
          tile.className = 'tile' + (t.status ? ' status ' + t.status : '');
          tile.setAttribute('role', 'listitem');
          var value = document.createElement('span');
          value.className = 'value';
          value.textContent = t.value + (option.unit && !t.status && t.value !== '–' ? ' ' + option.unit : '');
          var name = document.createElement('span');
          name.className = 'name';
          name.textContent = t.name;
          tile.appendChild(value);
          tile.appendChild(name);
          el.appendChild(tile);
        });
        this.option = option;
      },
      getOption: function () { return this.option; },
      resize: function () {},
    };
  }
  document.querySelectorAll('.chart[id^="chart-"]').forEach(function (el) {
    var id = el.id.slice('chart-'.length);
    var option = JSON.parse(document.getElementById('option-' + id).textContent);
    var chart = option.kpi ? tiles(el) : echarts.init(el);
    chart.setOption(option);
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
