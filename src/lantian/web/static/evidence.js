// Evidence on a phone (issue 14): the camera for photos, a preview of each photo chosen, and —
// when the person allows it — the place, from the browser's Geolocation API, written into the
// form's longitude and latitude fields if they are still empty. No framework, nothing remote.
(function () {
  function locate(form) {
    const lon = form.querySelector("input[name=longitude]");
    const lat = form.querySelector("input[name=latitude]");
    if (!lon || !lat || lon.value || lat.value || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((where) => {
      if (lon.value || lat.value) return; // typed meanwhile: the person's entry wins
      lon.value = where.coords.longitude.toFixed(6);
      lat.value = where.coords.latitude.toFixed(6);
      form.querySelectorAll("[data-located]").forEach((note) => { note.hidden = false; });
    }, () => {}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  document.querySelectorAll("input[type=file][data-previews]").forEach((input) => {
    const box = document.createElement("div");
    box.className = "evidence-previews";
    input.insertAdjacentElement("afterend", box);
    input.addEventListener("change", () => {
      box.replaceChildren();
      Array.from(input.files).filter((file) => file.type.startsWith("image/")).forEach((file) => {
        const image = document.createElement("img");
        image.src = URL.createObjectURL(file);
        image.alt = file.name;
        box.append(image);
      });
      if (input.files.length && input.form) locate(input.form);
    });
  });
})();
