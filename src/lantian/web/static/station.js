// Station page charts: 7-day hourly AQI and the year's daily-AQI calendar, coloured by HJ 633 level.
(function () {
  if (typeof echarts === "undefined") return;
  const data = JSON.parse(document.getElementById("station-json").textContent);
  const pieces = data.levels.map((l, i) => ({
    gt: i === 0 ? -1 : data.levels[i - 1].max, lte: l.max ?? 100000, color: l.colour, label: l.name,
  }));
  const hourly = echarts.init(document.getElementById("hourly"));
  hourly.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 100, top: 20, bottom: 40 },
    xAxis: { type: "category", data: data.hours },
    yAxis: { type: "value", name: "AQI" },
    visualMap: { type: "piecewise", pieces: pieces, right: 0, top: 10, dimension: 1 },
    series: [{ type: "line", data: data.hourly_aqi, connectNulls: false, showSymbol: false }],
  });
  const calendar = echarts.init(document.getElementById("calendar"));
  calendar.setOption({
    tooltip: { formatter: (p) => `${p.value[0]}: AQI ${p.value[1]}` },
    visualMap: { type: "piecewise", pieces: pieces, orient: "horizontal", left: "center", bottom: 0 },
    calendar: { range: String(data.year), cellSize: ["auto", 16], top: 30, left: 40, right: 20,
                dayLabel: { nameMap: "ZH" }, monthLabel: { nameMap: "ZH" } },
    series: [{ type: "heatmap", coordinateSystem: "calendar", data: data.daily }],
  });
  window.addEventListener("resize", () => { hourly.resize(); calendar.resize(); });
})();
