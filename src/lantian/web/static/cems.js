// Outlet page chart: hourly corrected concentrations per pollutant with each pollutant's limit
// (task 21); invalid hours (maintenance, calibration, fault) are gaps, exceeding hours are marked.
(function () {
  if (typeof echarts === "undefined") return;
  const data = JSON.parse(document.getElementById("cems-json").textContent);
  const element = document.getElementById("cems-chart");
  if (!data.hours.length) { element.style.display = "none"; return; }
  const chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 56, right: 24, top: 36, bottom: 40 },
    xAxis: { type: "category", data: data.hours },
    yAxis: { type: "value", name: "mg/m³" },
    series: data.series.map((s) => ({
      name: s.name,
      type: "line",
      connectNulls: false,
      data: s.values.map((v, i) => ({
        value: v,
        itemStyle: s.exceeding[i] ? { color: "#c0392b" } : undefined,
        symbolSize: s.exceeding[i] ? 8 : 4,
      })),
      markLine: { symbol: "none", label: { formatter: `${s.name} ${s.limit}` },
                  data: [{ yAxis: s.limit }] },
    })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
