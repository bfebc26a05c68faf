/* hizone pages: charts from data attributes (ECharts, PNG export via the toolbox), sortable tables, print. */
(function () {
  "use strict";
  var isEn = document.documentElement.lang === "en";
  // A printed report (hizone.reports) draws the same charts as vectors, at once, without the toolbox.
  var printing = document.documentElement.dataset.print === "1";
  var toolbox = printing ? { show: false } : { feature: { saveAsImage: { type: "png", title: isEn ? "Save as PNG" : "保存为PNG", pixelRatio: 2 } } };
  var mapReady = null;

  function loadMap() {
    if (!mapReady) {
      mapReady = fetch("/static/vendor/china-provinces.json")
        .then(function (r) { return r.json(); })
        .then(function (geo) { echarts.registerMap("china", geo); });
    }
    return mapReady;
  }

  function lineSeries(series) {
    return series.map(function (s) { return { name: s.name, type: "line", data: s.data, smooth: true, connectNulls: false }; });
  }

  var builders = {
    map: function (p) {
      var values = p.provinces.map(function (d) { return d.value || 0; });
      var max = values.length ? Math.max.apply(null, values) : 1;
      return {
        toolbox: toolbox,
        tooltip: { trigger: "item", formatter: function (i) {
          var v = Array.isArray(i.value) ? i.value[2] : i.value;
          return (i.data && i.data.label ? i.data.label : i.name) + "<br>" + p.indicator + ": " + (i.data && i.data.suppressed ? "已隐藏/suppressed" : v == null || isNaN(v) ? "—" : v.toLocaleString() + " " + p.unit);
        } },
        visualMap: { min: 0, max: max || 1, left: 10, bottom: 10, calculable: true, inRange: { color: ["#e8f1fb", "#0b5cad"] }, seriesIndex: 0 },
        geo: { map: "china", roam: true, itemStyle: { areaColor: "#eef3fa", borderColor: "#9fb3c8" } },
        series: [
          { type: "map", map: "china", geoIndex: 0, data: p.provinces },
          { type: "scatter", coordinateSystem: "geo", symbolSize: 5, itemStyle: { color: "#d9480f" },
            data: p.zones.map(function (z) { return { name: z.name, value: z.value, code: z.code, suppressed: z.suppressed }; }) }
        ]
      };
    },
    lines: function (p) {
      return { toolbox: toolbox, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 20, bottom: 30 },
        xAxis: { type: "category", data: p.years }, yAxis: { type: "value" }, series: lineSeries(p.series) };
    },
    monthly: function (p) {
      var series = lineSeries(p.series).map(function (s, i) { s.yAxisIndex = p.series[i].axis || 0; return s; });
      return { toolbox: toolbox, tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: { top: 40, left: 60, right: 60, bottom: 30 },
        xAxis: { type: "category", data: p.months }, yAxis: [{ type: "value" }, { type: "value", splitLine: { show: false } }],
        series: series };
    },
    ranks: function (p) {
      return { toolbox: toolbox, tooltip: { trigger: "axis" }, grid: { top: 20, left: 50, right: 20, bottom: 30 },
        xAxis: { type: "category", data: p.years }, yAxis: { type: "value", inverse: true, min: 1, max: p.of || null },
        series: [{ type: "line", data: p.ranks, label: { show: true } }] };
    },
    radar: function (p) {
      return { toolbox: toolbox, tooltip: {}, legend: { bottom: 0 },
        radar: { indicator: p.dimensions.map(function (d) { return { name: d.name, max: d.max }; }) },
        series: [{ type: "radar", data: p.series }] };
    },
    funnel: function (p) {
      return { toolbox: toolbox, tooltip: { trigger: "item", formatter: "{b}: {c}" },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "8%", label: { formatter: "{b} {c}" },
          data: p.stages }] };
    },
    bars: function (p) {
      return { toolbox: toolbox, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 20, bottom: 60 },
        xAxis: { type: "category", data: p.categories, axisLabel: { rotate: 30 } }, yAxis: { type: "value" },
        series: p.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; }) };
    }
  };

  function drawChart(el) {
    if (el.dataset.drawn) { return; }
    el.dataset.drawn = "1";
    var payload = JSON.parse(el.dataset.payload || "{}");
    var kind = el.dataset.chart;
    var draw = function () {
      var chart = echarts.init(el, null, { renderer: printing ? "svg" : "canvas" });
      var option = builders[kind](payload);
      if (printing) { option.animation = false; }
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
      if (kind === "map") {
        chart.on("click", function (e) { if (e.data && e.data.code) { window.location.href = "/zones/" + e.data.code; } });
      }
      el.dataset.ready = "1";
    };
    if (kind === "map") { loadMap().then(draw); } else { draw(); }
  }

  function sortTable(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.kind && th.dataset.kind !== "text" && th.dataset.kind !== "link";
    var asc = !th.classList.contains("sorted-asc");
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
    th.classList.add(asc ? "sorted-asc" : "sorted-desc");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index] ? a.cells[index].dataset.value : "", y = b.cells[index] ? b.cells[index].dataset.value : "";
      var cmp;
      if (numeric) { cmp = (x === "" ? -Infinity : parseFloat(x)) - (y === "" ? -Infinity : parseFloat(y)); }
      else { cmp = String(x).localeCompare(String(y), "zh-CN"); }
      return asc ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  // A report takes a moment to print: the link fetches it while a status line says so, then saves it.
  function downloadPdf(event, link) {
    event.preventDefault();
    var status = link.parentNode.querySelector(".pdf-status");
    var shown = status ? status.textContent : "";
    if (status) { status.hidden = false; }
    fetch(link.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return r.text().then(function (t) { throw new Error(t || r.statusText); }); }
      var name = (r.headers.get("Content-Disposition") || "").replace(/^.*filename="([^"]+)".*$/, "$1") || "report.pdf";
      return r.blob().then(function (blob) {
        var url = URL.createObjectURL(blob), save = document.createElement("a");
        save.href = url; save.download = name; document.body.appendChild(save); save.click(); save.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        if (status) { status.hidden = true; }
      });
    }).catch(function (err) {
      if (status) { status.textContent = err.message; status.hidden = false;
        setTimeout(function () { status.textContent = shown; status.hidden = true; }, 8000); }
    });
  }

  function init(root) {
    root.querySelectorAll("[data-chart]").forEach(drawChart);
    root.querySelectorAll("table.sortable th").forEach(function (th) {
      if (!th.dataset.bound) { th.dataset.bound = "1"; th.addEventListener("click", function () { sortTable(th); }); }
    });
    root.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
    root.querySelectorAll("a[data-pdf]").forEach(function (a) {
      if (!a.dataset.bound) { a.dataset.bound = "1"; a.addEventListener("click", function (e) { downloadPdf(e, a); }); }
    });
  }

  window.hizoneInit = init;  // a printed report draws its charts once its content is in place
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
