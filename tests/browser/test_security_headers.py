"""Issue 20: the pages satisfy their Content-Security-Policy in a real Chromium — no violation
reported (the ``securitypolicyviolation`` event, the console) on the main pages at a phone's and
a desktop's width, while ECharts still draws its maps and charts and Swagger UI still starts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.browser.conftest import LiveServer, Outside, sign_in
from tests.browser.test_polish import DESKTOP, PHONE, new_page

#: Injected before any page script (DevTools' init scripts are not subject to the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""

#: Page → what proves its scripts ran (an ECharts canvas, Swagger UI's rendered title…).
SIGNED_IN_PAGES = {
    "/": "#map canvas",
    "/stations/1316A": "#hourly canvas",
    "/office": "#trend canvas",
    "/overview": "main h1",
    "/admin/users": "#users",
    "/account": "main h1",
    "/api/docs": ".swagger-ui .info .title",
}


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_main_pages_raise_no_content_security_policy_violation(
    browser: Browser, live_server: LiveServer, outside: Outside, size: dict[str, int]
) -> None:
    page = new_page(browser, live_server, outside, size)
    page.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            console.append(message.text)

    page.on("console", listen)
    visited = check(page, live_server.url + "/login", "form[action='/login']")
    sign_in(page, live_server.url, "admin")
    for path, proof in SIGNED_IN_PAGES.items():
        visited += check(page, live_server.url + path, proof)
    assert visited == [], "\n".join(visited)
    assert console == [], "\n".join(console)
    assert outside.urls == []
    page.context.close()


def check(page: Page, url: str, proof: str) -> list[str]:
    """Open ``url``, wait until ``proof`` shows that its scripts ran; the violations reported."""
    response = page.goto(url)
    assert response is not None and response.ok, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy, url
    page.wait_for_selector(proof)
    page.wait_for_load_state("networkidle")
    found: list[str] = page.evaluate("() => window.__cspViolations")
    return [f"{url}: {violation}" for violation in found]
