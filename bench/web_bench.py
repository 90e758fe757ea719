"""Benchmark: time to first byte of every signed-in page of the demo, for every demo account.

Run: .venv/bin/python bench/web_bench.py [--data-dir DIR] [--runs 7] [--roles office,township]

Like ``make run``: the database under ``--data-dir`` (default ``build/web-bench``) is migrated and
the demo loaded when it is missing (``lantian db upgrade``, ``lantian demo --if-needed``), then the
application is served by uvicorn in a child process on a free local port. Each demo account signs
in through the sign-in form and walks the pages it can reach: every link of the navigation and of
each page it opens (breadth first), one page per route (the first ``/stations/{code}``
found stands for all stations). Each page is then requested ``--runs`` times
after one warm-up request; the time from sending the request to reading the response's status
line and headers is the time to first byte (pages are rendered whole before they are sent, so it
is the server's time for the page). Printed per page: the median and the 95th percentile, the
target (300 ms, issue 14) and the ratio of the median to the baseline measured in the same run —
``/healthz`` (one query, no page) — so that figures from a loaded machine can be compared.

Target (issue 14): every signed-in page under 300 ms to first byte on the demo.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from lantian.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

TARGET_MS = 300.0
ROOT = Path(__file__).resolve().parents[1]
#: Links that are not pages of the platform to time.
SKIPPED = re.compile(r"^/(static|lang|api|logout|favicon)|\.(csv|xlsx|docx|pdf|zip|parquet)$")
HREF = re.compile(r'href="(/[^"#]*)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Client:
    """One browser-like client of the server: keeps its cookies, one connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie} if cookie else {}

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ('""', ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value

    def get(self, path: str) -> tuple[float, int, str, str]:
        """Seconds to first byte, status, content type and body of ``GET path``."""
        started = time.perf_counter()
        self.connection.request("GET", path, headers=self._headers())
        response = self.connection.getresponse()
        first_byte = time.perf_counter() - started
        body = response.read().decode("utf-8", "replace")
        self._keep_cookies(response)
        return first_byte, response.status, response.headers.get("content-type", ""), body

    def sign_in(self, username: str, password: str) -> None:
        _, _, _, page = self.get("/login")
        token = CSRF.search(page)
        if token is None:
            raise SystemExit("the sign-in page has no CSRF token")
        form = urlencode(
            {"username": username, "password": password, "csrf": token.group(1), "next": "/"}
        )
        headers = self._headers() | {"Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", "/login", body=form, headers=headers)
        response = self.connection.getresponse()
        response.read()
        self._keep_cookies(response)
        if response.status != 303:
            raise SystemExit(f"{username} could not sign in ({response.status})")


def route_of(path: str) -> str:
    """The page's route, as far as a link tells it: a segment holding a digit is a parameter
    (``/stations/1316A`` and ``/stations/1317A`` are one route, ``/stations/{}``)."""
    return "/".join("{}" if re.search(r"\d", part) else part for part in path.split("/"))


def pages_of(client: Client, limit: int) -> dict[str, str]:
    """One reachable HTML page per route for the signed-in ``client``: route → path."""
    found: dict[str, str] = {}
    queue = deque(["/", "/office"])
    seen = set(queue)
    while queue and len(found) < limit:
        path = queue.popleft()
        route = route_of(urlsplit(path).path)
        if route in found:
            continue
        _, status, kind, body = client.get(path)
        if status != 200 or "text/html" not in kind:
            continue
        found[route] = path
        for link in HREF.findall(body):
            link = link.replace("&amp;", "&")
            if link not in seen and not SKIPPED.search(urlsplit(link).path):
                seen.add(link)
                queue.append(link)
    return found


def timings(client: Client, path: str, runs: int) -> list[float]:
    client.get(path)  # warm-up: templates compiled, caches filled
    return [client.get(path)[0] * 1000 for _ in range(runs)]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def prepare(data_dir: Path) -> dict[str, str]:
    """Migrate and load the demo under ``data_dir`` as ``make run`` does; the server's env."""
    env = dict(os.environ, LANTIAN_DATA_DIR=str(data_dir))
    lantian = str(Path(sys.executable).with_name("lantian"))
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([lantian, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([lantian, "demo", "--if-needed"], env=env, check=True, capture_output=True)
    return env


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lantian.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "build" / "web-bench")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--roles", default="", help="only these demo usernames (comma-separated)")
    parser.add_argument("--pages", type=int, default=80, help="at most this many pages a role")
    args = parser.parse_args()
    env = prepare(args.data_dir)
    port = free_port()
    server = serve(env, port)
    try:
        anonymous = Client(port)
        baseline = statistics.median(timings(anonymous, "/healthz", args.runs))
        print(
            f"{args.runs} runs a page after one warm-up; {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f}; baseline GET /healthz median {baseline:.1f} ms; "
            f"target {TARGET_MS:.0f} ms"
        )
        print(f"{'account':<10} {'page':<48} {'median':>8} {'p95':>8} {'target':>7} {'×base':>6}")
        wanted = {name for name in args.roles.split(",") if name}
        slow = 0
        for account in DEMO_ACCOUNTS:
            if account.role == "device" or (wanted and account.username not in wanted):
                continue
            client = Client(port)
            client.sign_in(account.username, DEMO_PASSWORD)
            for path in sorted(pages_of(client, args.pages).values()):
                samples = timings(client, path, args.runs)
                median = statistics.median(samples)
                over = median > TARGET_MS
                slow += over
                print(
                    f"{account.username:<10} {path[:48]:<48} {median:8.1f} {p95(samples):8.1f} "
                    f"{TARGET_MS:7.0f} {median / baseline:6.1f}{'  SLOW' if over else ''}"
                )
        print(f"pages over the target: {slow}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
