// A field check records where it was made: the browser's position into the form's hidden fields.
(function () {
  const shown = document.getElementById("check-position");
  const lon = document.getElementById("check-longitude");
  const lat = document.getElementById("check-latitude");
  if (!shown || !lon || !lat) return;
  if (!navigator.geolocation) { shown.textContent = shown.dataset.none || "—"; return; }
  navigator.geolocation.getCurrentPosition(
    (position) => {
      lon.value = position.coords.longitude.toFixed(6);
      lat.value = position.coords.latitude.toFixed(6);
      shown.textContent = `${lon.value}, ${lat.value} (±${Math.round(position.coords.accuracy)} m)`;
    },
    () => { shown.textContent = "—"; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
})();
