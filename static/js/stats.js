// Statistics charts (Apache ECharts, vendored). The numbers come from the JSON block the page
// renders from the same figures as its tables, column by column (stats.tables.chart_data); no
// inline script (CSP script-src 'self').
(function () {
  "use strict";
  function bar(el, labels, series, yName, percent) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: labels.length > 8 ? 150 : 80 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 8 ? 60 : (labels.length > 4 ? 30 : 0) } },
      yAxis: { type: "value", name: yName, max: percent ? 100 : null },
      series: series
    });
    return chart;
  }
  function draw() {
    var source = document.getElementById("stats-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    var units = document.getElementById("chart-units");
    if (units) {
      charts.push(bar(units, data.units.labels, [
        { name: units.getAttribute("aria-label") + "（%）", type: "bar", data: data.units.rates.map(function (r) { return Math.round(r * 1000) / 10; }) }
      ], "%", true));
      units.dataset.ready = "1";
    }
    var series = document.getElementById("chart-series");
    if (series && data.series) {
      charts.push(bar(series, data.series.labels, [
        { name: "在册人数", type: "bar", data: data.series.people },
        { name: "达标人数", type: "bar", data: data.series.compliant }
      ], "人", false));
      series.dataset.ready = "1";
    }
    var forms = document.getElementById("chart-forms");
    if (forms) {
      var pie = window.echarts.init(forms, null, { renderer: "canvas" });
      pie.setOption({
        title: { text: "按学习形式（认定学时）", left: "center", textStyle: { fontSize: 14 } },
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: "60%", top: 30,
          data: data.forms }]
      });
      charts.push(pie);
      forms.dataset.ready = "1";
    }
    var kinds = document.getElementById("chart-kinds");
    if (kinds) {
      charts.push(bar(kinds, data.kinds.labels, [
        { name: "公需科目", type: "bar", stack: "h", data: data.kinds.general },
        { name: "专业科目", type: "bar", stack: "h", data: data.kinds.professional }
      ], "学时", false));
      kinds.dataset.ready = "1";
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (window.echarts) {
    draw();
  } else {
    var lib = document.getElementById("echarts-lib");
    if (lib) { lib.addEventListener("load", draw); }
  }
})();
