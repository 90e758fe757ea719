// The notice's print button (warning_notice.html). A file of its own, not an onclick attribute:
// the Content-Security-Policy runs no inline script (docs/security.md, "Security headers").
"use strict";
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
