// Weather normalisation page: the observed and the weather-normalised daily values of the period
// and of its baseline, day by day from the start of each (issue 18, Vu et al. 2019).
(function () {
  if (typeof echarts === "undefined") return;
  const data = JSON.parse(document.getElementById("weather-json").textContent);
  const labels = JSON.parse(document.getElementById("weather-labels").textContent);
  const element = document.getElementById("weather-chart");
  if (!data.days.length) { element.style.display = "none"; return; }
  const chart = echarts.init(element);
  const line = (key, color, dashed, width) => ({
    name: labels[key],
    type: "line",
    showSymbol: false,
    connectNulls: false,
    lineStyle: { color: color, width: width, type: dashed ? "dashed" : "solid" },
    itemStyle: { color: color },
    data: data[key],
  });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 24, top: 36, bottom: 40 },
    xAxis: { type: "category", data: data.days.map((_, i) => i + 1) },
    yAxis: { type: "value", name: data.unit },
    series: [
      line("observed_baseline", "#95a5a6", false, 1),
      line("observed_period", "#2980b9", false, 1),
      line("normalised_baseline", "#7f8c8d", true, 2.5),
      line("normalised_period", "#c0392b", false, 2.5),
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
