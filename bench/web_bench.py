"""Benchmark: time to first byte of every signed-in page of the demo, for every demo account;
with ``--load``, the public pages, the public API and the dashboard under concurrent clients.

Run: .venv/bin/python bench/web_bench.py [--data-dir DIR] [--runs 7] [--roles office,township]
     .venv/bin/python bench/web_bench.py --load [--database postgresql|sqlite] [--clients 100]
         [--duration 10] [--max-requests 20000] [--workers 1] [--pace 0]

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

``--load`` (issue 19, "pages under load"): the demo is loaded into a throw-away PostgreSQL server
the bench starts itself (tests/support/postgres.py: Debian's binaries, run as ``postgres`` through
``runuser`` under root; removed afterwards) or, with ``--database sqlite``, into the SQLite file
under ``--data-dir``. The application is served by uvicorn in a child process on the loopback
(``--workers`` processes, printed) on the demo's clock (``LANTIAN_AS_OF``, as ``make run``), and
``--clients`` clients (asyncio + httpx, one keep-alive connection each) request each endpoint in
turn as fast as it answers (``--pace 0``: a closed loop, the server's saturation) or each client
one request every ``--pace`` seconds (people reading pages: ``clients / pace`` requests a second
offered), for ``--duration`` seconds or ``--max-requests`` requests, whichever comes first: the public page ``/``, a station's page, the public API (``/api/v1/public/realtime``)
and the office dashboard ``/office`` (signed in as the demo's ``office`` account). Printed per
endpoint: requests, throughput, p50/p95/p99 latency (sending the request to reading the whole
response), errors, the target (p99 < 100 ms at 100 concurrent clients for the public reads) met
or not, and the CPU seconds per request of the server (the uvicorn processes and, on PostgreSQL,
the database server's) — the figure that a machine shared with other work does not inflate.
Baselines measured in the same run: ``/healthz`` (one query, no page) under the same load, and
every endpoint again on a server with the publication cache switched off
(``LANTIAN_PUBLICATION_CACHE=0``, :mod:`lantian.monitoring.publication_cache`), with the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import psutil

from lantian.demo import DEMO_AS_OF
from lantian.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

TARGET_MS = 300.0
ROOT = Path(__file__).resolve().parents[1]
#: Issue 19: p99 under this at 100 concurrent clients for the public reads.
LOAD_TARGET_P99_MS = 100.0
#: Bounds of the load run: nothing runs longer or sends more than this, whatever the flags say.
MAX_DURATION_S = 120.0
MAX_CLIENTS = 500
MAX_WORKERS = 8
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


def serve(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lantian.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--workers", str(workers)],
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
    parser.add_argument("--load", action="store_true", help="concurrent clients (issue 19)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--max-requests", type=int, default=20000, help="per endpoint")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="seconds between one client's requests (0: back to back, saturation)",
    )
    parser.add_argument(
        "--no-uncached", action="store_true", help="skip the baseline without the cache"
    )
    args = parser.parse_args()
    if args.load:
        load_main(args)
    else:
        page_main(args)


def page_main(args: argparse.Namespace) -> None:
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


# --- load mode --------------------------------------------------------------------------------


@contextlib.contextmanager
def demo_database(kind: str, data_dir: Path) -> Iterator[tuple[dict[str, str], list[int]]]:
    """The demo loaded into ``kind``'s database: the server's env and the database server's pid
    (PostgreSQL: a throw-away server, tests/support/postgres.py, stopped and removed after)."""
    if kind == "sqlite":
        yield prepare(data_dir), []
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import running_postgres

    with running_postgres() as server:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={server.port} user=lantian dbname=postgres", autocommit=True
        ) as admin:
            admin.execute("CREATE DATABASE lantian_bench")
        pg_dir = data_dir.with_name(data_dir.name + "-postgresql")
        shutil.rmtree(pg_dir, ignore_errors=True)
        os.environ["LANTIAN_DATABASE_URL"] = server.url("lantian_bench")
        try:
            started = time.monotonic()
            env = prepare(pg_dir)
            print(f"demo loaded into PostgreSQL in {time.monotonic() - started:.0f} s")
        finally:
            del os.environ["LANTIAN_DATABASE_URL"]
        postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        yield env, [postmaster]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants, in seconds."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
    return total


@dataclass
class LoadResult:
    endpoint: str
    latencies_ms: list[float]
    errors: int
    seconds: float
    cpu_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.requests if self.requests else float("nan")


async def hammer(
    port: int,
    path: str,
    clients: int,
    duration: float,
    max_requests: int,
    cookies: dict[str, str],
    cpu_pids: list[int],
    pace: float = 0.0,
) -> LoadResult:
    """``clients`` clients requesting ``path`` until the time or the count runs out: back to back
    (``pace`` 0, a closed loop measuring saturation), or each client one request every ``pace``
    seconds, their starts spread over the first interval (people reading the page: the offered
    load is ``clients / pace`` requests per second and the latency is what each of them waits)."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60, cookies=cookies
    ) as client:
        for _ in range(3):  # warm-up: templates compiled, caches filled
            await client.get(path)
        deadline = time.perf_counter() + duration

        async def one_client(offset: float) -> None:
            nonlocal errors, sent
            next_at = time.perf_counter() + offset
            while time.perf_counter() < deadline and sent < max_requests:
                if pace:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += pace
                sent += 1
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        cpu_before = cpu_seconds(cpu_pids)
        started = time.perf_counter()
        await asyncio.gather(*(one_client(pace * c / clients) for c in range(clients)))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(cpu_pids) - cpu_before
    return LoadResult(path, latencies, errors, seconds, cpu)


def signed_in_cookies(port: int) -> dict[str, str]:
    """The demo's office account signed in once; its cookies, shared by the dashboard's clients."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token = CSRF.search(client.get("/login").text)
        if token is None:
            raise SystemExit("the sign-in page has no CSRF token")
        form = {"username": "office", "password": DEMO_PASSWORD, "csrf": token.group(1)}
        response = client.post("/login", data=form | {"next": "/"})
        if response.status_code != 303:
            raise SystemExit(f"office could not sign in ({response.status_code})")
        return dict(client.cookies)


def load_pass(
    env: dict[str, str], args: argparse.Namespace, cached: bool, db_pids: list[int]
) -> dict[str, LoadResult]:
    """One server (cache on or off), every endpoint under load in turn."""
    env = env | {"LANTIAN_AS_OF": DEMO_AS_OF.isoformat()}
    env["LANTIAN_PUBLICATION_CACHE"] = "1" if cached else "0"
    port = free_port()
    server = serve(env, port, args.workers)
    try:
        stations = httpx.get(f"http://127.0.0.1:{port}/api/v1/public/realtime", timeout=120)
        stations.raise_for_status()
        code = next(row["code"] for row in json.loads(stations.text) if row["aqi"] is not None)
        cookies = signed_in_cookies(port)
        endpoints = ["/healthz", "/", f"/stations/{code}", "/api/v1/public/realtime", "/office"]
        results = {}
        for path in endpoints:
            results[path] = asyncio.run(
                hammer(
                    port,
                    path,
                    args.clients,
                    args.duration,
                    args.max_requests,
                    cookies if path == "/office" else {},
                    [server.pid, *db_pids],
                    args.pace,
                )
            )
            drain([server.pid, *db_pids])
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def is_public_read(path: str) -> bool:
    """The reads the target is set for: the public page, station pages, the public API."""
    return path == "/" or path.startswith(("/stations/", "/api/v1/public/"))


def drain(pids: list[int], limit_s: float = 180.0) -> None:
    """Wait until the server has finished the requests its clients gave up on (it computes them
    anyway), so that they are not counted against the next endpoint."""
    deadline = time.monotonic() + limit_s
    before = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        after = cpu_seconds(pids)
        if after - before < 0.05:
            return
        before = after


def print_table(title: str, results: dict[str, LoadResult], uncached: dict[str, LoadResult]) -> int:
    """The table of one pass; how many public reads missed the target."""
    healthz = results["/healthz"]
    print(title)
    print(
        f"{'endpoint':<28} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'CPU ms/req':>10} {'target':>14} {'p50×healthz':>11} "
        f"{'req/s×uncached':>14}"
    )
    missed = 0
    for path, result in results.items():
        public = is_public_read(path)
        p99 = result.percentile(0.99)
        if public:
            met = p99 < LOAD_TARGET_P99_MS and result.errors == 0
            missed += not met
            target = f"<{LOAD_TARGET_P99_MS:.0f} {'met' if met else 'NOT met'}"
        else:
            target = "—"
        base = uncached.get(path)
        versus = f"{result.throughput / base.throughput:14.1f}" if base and base.throughput else ""
        print(
            f"{path[:28]:<28} {result.requests:8d} {result.throughput:7.1f} "
            f"{result.percentile(0.5):8.1f} {result.percentile(0.95):8.1f} {p99:8.1f} "
            f"{result.errors:6d} {result.cpu_ms_per_request:10.2f} {target:>14} "
            f"{result.percentile(0.5) / healthz.percentile(0.5):11.1f} {versus}"
        )
    return missed


def load_main(args: argparse.Namespace) -> None:
    clients = max(1, min(args.clients, MAX_CLIENTS))
    args.clients = clients
    args.duration = max(1.0, min(args.duration, MAX_DURATION_S))
    args.workers = max(1, min(args.workers, MAX_WORKERS))
    with demo_database(args.database, args.data_dir) as (env, db_pids):
        print(
            f"load: {clients} concurrent clients (asyncio + httpx, keep-alive), "
            + (
                f"each one request every {args.pace:g} s ({clients / args.pace:.0f} req/s "
                "offered), "
                if args.pace
                else "back to back (saturation), "
            )
            + f"each endpoint "
            f"{args.duration:.0f} s or {args.max_requests} requests; server: uvicorn, "
            f"{args.workers} worker process(es), loopback; database: {args.database}; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; CPU = server "
            f"processes{' + PostgreSQL' if db_pids else ''}"
        )
        uncached: dict[str, LoadResult] = {}
        if not args.no_uncached:
            uncached = load_pass(env, args, cached=False, db_pids=db_pids)
            print_table("without the publication cache (baseline):", uncached, {})
        cached = load_pass(env, args, cached=True, db_pids=db_pids)
        missed = print_table("with the publication cache:", cached, uncached)
        print(
            f"public reads missing the target (p99 < {LOAD_TARGET_P99_MS:.0f} ms at {clients} "
            f"clients, no errors): {missed}"
        )


if __name__ == "__main__":
    main()
