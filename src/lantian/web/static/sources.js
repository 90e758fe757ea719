// The register's entries on the offline map (the project's own GeoJSON, no tiles).
(function () {
  const element = document.getElementById("sources-map");
  const source = document.getElementById("sources-json");
  if (!element || !source || typeof echarts === "undefined") return;
  const points = JSON.parse(source.textContent);
  const chart = echarts.init(element);
  fetch("/static/geo/410100_full.json")
    .then((response) => response.json())
    .then((geo) => {
      // The kind's own layer from the plan (township polygons, a ban zone) drawn over the city.
      const layerSource = document.getElementById("sources-layer");
      const layer = layerSource ? JSON.parse(layerSource.textContent) : null;
      const extra = layer && layer.features ? layer.features : [];
      echarts.registerMap("area", { type: "FeatureCollection", features: geo.features.concat(extra) });
      const lons = points.map((p) => p.lon), lats = points.map((p) => p.lat);
      const geoOption = { map: "area", roam: true, itemStyle: { areaColor: "#eef2f7", borderColor: "#8a99ad" },
                          label: { show: true, color: "#5b6675", fontSize: 10 },
                          regions: extra.map((f) => ({ name: f.properties.name,
                            itemStyle: { areaColor: "rgba(240, 173, 78, 0.08)", borderColor: "#c77c12" } })) };
      if (points.length) {
        // Zoom to the entries (a township's sites sit in a corner of the city's map).
        geoOption.center = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
        geoOption.zoom = points.length === 1 ? 8 : 4;
      }
      chart.setOption({
        tooltip: { formatter: (p) => p.data ? `${p.data.name}<br>${p.data.state}` : p.name },
        geo: geoOption,
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: 9,
          data: points.map((p) => ({ name: p.name, value: [p.lon, p.lat], state: p.state, url: p.url,
                                     itemStyle: { color: p.colour, borderColor: "#333" } })),
        }],
      });
      chart.on("click", (p) => { if (p.data && p.data.url) window.location.href = p.data.url; });
    });
  window.addEventListener("resize", () => chart.resize());
})();
