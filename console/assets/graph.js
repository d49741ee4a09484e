// The pipeline graph on the overview: an ECharts graph; clicking a node opens its partition map.
(function () {
  'use strict';
  var el = document.getElementById('graph');
  var option = JSON.parse(document.getElementById('graph-option').textContent);
  var chart = echarts.init(el);
  chart.setOption(option);
  chart.on('click', function (p) { if (p.dataType === 'node' && p.data.url) location.href = p.data.url; });
  window.addEventListener('resize', function () { chart.resize(); });
})();
