// The public page's station map: the boundary GeoJSON is served by lantian itself (no tile server).
(function () {
  const element = document.getElementById("map");
  if (!element || typeof echarts === "undefined") return;
  const points = JSON.parse(document.getElementById("stations-json").textContent);
  const chart = echarts.init(element, null, { renderer: "canvas" });
  fetch("/static/geo/410100_full.json")
    .then((response) => response.json())
    .then((geo) => {
      echarts.registerMap("area", geo);
      chart.setOption({
        tooltip: {
          formatter: (p) => p.data ? `${p.data.name}<br>AQI ${p.data.aqi ?? "—"} ${p.data.category || ""}` : p.name,
        },
        geo: { map: "area", roam: true, itemStyle: { areaColor: "#eef2f7", borderColor: "#8a99ad" },
               label: { show: true, color: "#5b6675", fontSize: 10 } },
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: 14,
          data: points.map((p) => ({ name: p.name, value: [p.lon, p.lat, p.aqi], aqi: p.aqi,
                                     category: p.category, itemStyle: { color: p.colour, borderColor: "#333" } })),
        }],
      });
    });
  window.addEventListener("resize", () => chart.resize());
})();
