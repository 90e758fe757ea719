// The public page's station map: the boundary GeoJSON is served by lantian itself (no tile server).
// A warning in force colours the county (the GeoJSON's finest boundary) holding its townships and
// names the townships in the map's title (issue 14: the warned areas shown on the map).
(function () {
  const element = document.getElementById("map");
  if (!element || typeof echarts === "undefined") return;
  const points = JSON.parse(document.getElementById("stations-json").textContent);
  const warningElement = document.getElementById("warning-json");
  const warning = warningElement ? JSON.parse(warningElement.textContent) : null;
  const chart = echarts.init(element, null, { renderer: "canvas" });
  fetch("/static/geo/410100_full.json")
    .then((response) => response.json())
    .then((geo) => {
      echarts.registerMap("area", geo);
      const regions = [];
      if (warning && warning.areas) {
        const counties = new Set(warning.areas.map((code) => code.slice(0, 6)));
        geo.features
          .filter((feature) => counties.has(String(feature.properties.adcode)))
          .forEach((feature) => regions.push({
            name: feature.properties.name,
            itemStyle: { areaColor: warning.colour, opacity: 0.55, borderColor: "#333", borderWidth: 2 },
            label: { show: true, color: "#111", fontWeight: "bold",
                     formatter: `${feature.properties.name}\n${warning.name}：${warning.areas_text}` },
          }));
      }
      chart.setOption({
        title: warning ? { text: `${warning.name}：${warning.areas_text}`, left: "left", top: 4,
                           textStyle: { fontSize: 13, color: "#111" } } : undefined,
        tooltip: {
          formatter: (p) => p.data ? `${p.data.name}<br>AQI ${p.data.aqi ?? "—"} ${p.data.category || ""}` : p.name,
        },
        geo: { map: "area", roam: true, itemStyle: { areaColor: "#eef2f7", borderColor: "#8a99ad" },
               label: { show: true, color: "#5b6675", fontSize: 10 }, regions: regions },
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: 14,
          data: points.map((p) => ({ name: p.name, value: [p.lon, p.lat, p.aqi], aqi: p.aqi,
                                     category: p.category, itemStyle: { color: p.colour, borderColor: "#333" } })),
        }],
      });
    });
  window.addEventListener("resize", () => chart.resize());
})();
