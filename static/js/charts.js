// ECharts charts drawn from options the server wrote into the page as JSON
// (<script type="application/json" id="..."> by json_script; no inline script under the CSP):
// <div class="ml-chart" data-option="ID"></div>. Tooltips are plain text (richText), since
// the policy allows no inline styles in markup.
(function () {
  "use strict";
  function draw() {
    if (typeof echarts === "undefined") return;
    var charts = [];
    document.querySelectorAll(".ml-chart[data-option]").forEach(function (el) {
      var source = document.getElementById(el.dataset.option);
      if (!source) return;
      var option = JSON.parse(source.textContent);
      if (option.tooltip) option.tooltip.renderMode = "richText";
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
