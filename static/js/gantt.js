// The campaign overview's Gantt chart: one bar per child organization (the span of its
// subtree's windows), grouped by level and region, today's line, and a click on a bar goes
// down one level. Drawn from <script type="application/json" id="gantt-data"> (json_script;
// no inline script under the CSP) into <div class="ml-gantt" data-source="gantt-data">.
// The table beside it carries the same data and links for phones and readers without script.
(function () {
  "use strict";
  var DAY = 86400000;
  function ms(text) { return Date.parse(text + "T00:00:00"); }
  function draw() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll(".ml-gantt[data-source]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      if (!data.rows.length) return;
      var names = data.rows.map(function (r) { return r.name; });
      var today = ms(data.today);
      var items = data.rows.map(function (r, i) {
        var done = r.started >= r.count, none = r.started === 0;
        return {
          value: [i, ms(r.start), ms(r.end) + DAY, r.started, r.count],
          url: r.url,
          group: r.group,
          itemStyle: { color: done ? "#b3181f" : none ? "#9aa5b1" : "#e8a33d" }
        };
      });
      el.style.height = Math.max(160, 28 * names.length + 70) + "px";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        grid: { left: 8, right: 24, top: 30, bottom: 24, containLabel: true },
        tooltip: {
          renderMode: "richText",
          formatter: function (p) {
            var r = data.rows[p.value[0]];
            return r.name + " (" + r.group + ")\n" + r.start + " – " + r.end + "\n" +
              data.labels.started + " " + r.started + " / " + r.count + " " + data.labels.total;
          }
        },
        xAxis: { type: "time", position: "top", splitLine: { show: true } },
        yAxis: { type: "category", data: names, inverse: true, axisTick: { show: false } },
        series: [{
          type: "custom",
          encode: { x: [1, 2], y: 0 },
          renderItem: function (params, api) {
            var y = api.value(0);
            var a = api.coord([api.value(1), y]), b = api.coord([api.value(2), y]);
            var h = api.size([0, 1])[1] * 0.6;
            var rect = echarts.graphic.clipRectByRect(
              { x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 2), height: h },
              { x: params.coordSys.x, y: params.coordSys.y,
                width: params.coordSys.width, height: params.coordSys.height });
            return rect && { type: "rect", shape: rect, style: api.style(), cursor: "pointer" };
          },
          data: items,
          markLine: {
            symbol: "none", silent: true,
            lineStyle: { color: "#b3181f", type: "dashed" },
            label: { formatter: data.labels.today },
            data: [{ xAxis: today }]
          }
        }]
      });
      chart.on("click", function (p) {
        if (p.data && p.data.url) window.location.href = p.data.url;
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
