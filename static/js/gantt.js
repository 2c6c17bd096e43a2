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
          value: [i, ms(r.start), ms(r.end) + DAY, ms(r.last_start) + DAY],
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
              data.labels.waves + " " + r.start + " – " + r.last_start + "\n" +
              data.labels.started + " " + r.started + " / " + r.count + " " + data.labels.total;
          }
        },
        xAxis: { type: "time", position: "top", splitLine: { show: true } },
        yAxis: { type: "category", data: names, inverse: true, axisTick: { show: false } },
        series: [{
          type: "custom",
          encode: { x: [1, 2, 3], y: 0 },
          // the waves (first window opens → last opens) thick, the rest of the span thin
          renderItem: function (params, api) {
            var y = api.value(0), h = api.size([0, 1])[1];
            var a = api.coord([api.value(1), y]), m = api.coord([api.value(3), y]);
            var b = api.coord([api.value(2), y]);
            var box = { x: params.coordSys.x, y: params.coordSys.y,
                        width: params.coordSys.width, height: params.coordSys.height };
            var waves = echarts.graphic.clipRectByRect(
              { x: a[0], y: a[1] - h * 0.3, width: Math.max(m[0] - a[0], 3), height: h * 0.6 }, box);
            var rest = echarts.graphic.clipRectByRect(
              { x: a[0], y: a[1] - h * 0.1, width: Math.max(b[0] - a[0], 3), height: h * 0.2 }, box);
            var style = api.style();
            return { type: "group", children: [
              rest && { type: "rect", shape: rest, style: style },
              waves && { type: "rect", shape: waves, style: style }
            ].filter(Boolean) };
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
