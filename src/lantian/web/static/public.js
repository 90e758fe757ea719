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
  const narrow = element.clientWidth < 600;
  // Centre and zoom that frame the stations (with a margin) inside the city's outline.
  function stationView(geo, zoomIn) {
    const located = points.filter((p) => p.lon != null && p.lat != null);
    if (!zoomIn || located.length === 0) return {};
    const lons = located.map((p) => p.lon), lats = located.map((p) => p.lat);
    const all = [];
    geo.features.forEach((f) => JSON.stringify(f.geometry.coordinates).replace(
      /\[(-?[\d.]+),(-?[\d.]+)\]/g, (_, x, y) => { all.push([+x, +y]); return ""; }));
    const span = (values) => Math.max(...values) - Math.min(...values) || 0.05;
    const zoom = Math.min(span(all.map((c) => c[0])) / span(lons), span(all.map((c) => c[1])) / span(lats));
    return { center: [(Math.max(...lons) + Math.min(...lons)) / 2, (Math.max(...lats) + Math.min(...lats)) / 2],
             zoom: Math.max(1, Math.min(8, zoom * 0.7)) };
  }
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
               // On a phone: no district names (they overlap), and the view on the stations.
               label: { show: !narrow, color: "#5b6675", fontSize: 10 },
               emphasis: { label: { show: true } }, regions: regions, ...stationView(geo, narrow) },
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: narrow ? 11 : 14,
          data: points.map((p) => ({ name: p.name, value: [p.lon, p.lat, p.aqi], aqi: p.aqi,
                                     category: p.category, itemStyle: { color: p.colour, borderColor: "#333" } })),
        }],
      });
    });
  window.addEventListener("resize", () => chart.resize());
})();
