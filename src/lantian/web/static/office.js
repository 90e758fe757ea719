// Office dashboard: the city's hourly AQI over the last 24 hours.
(function () {
  if (typeof echarts === "undefined") return;
  const data = JSON.parse(document.getElementById("trend-json").textContent);
  const chart = echarts.init(document.getElementById("trend"));
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 20, top: 20, bottom: 40 },
    xAxis: { type: "category", data: data.hours },
    yAxis: { type: "value", name: "AQI" },
    series: [{ type: "bar", data: data.aqi, itemStyle: { color: "#1f5fa8" },
               markLine: { symbol: "none", data: [{ yAxis: 100 }, { yAxis: 200 }] } }],
  });
  window.addEventListener("resize", () => chart.resize());
})();
