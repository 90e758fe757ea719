"""`lantian ingest hj212` (the HJ 212 receiving centre) and `lantian devices …` (its registry)."""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import signal
import sys
from typing import TYPE_CHECKING, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from lantian.config import get_settings
from lantian.db_cli import require_current_schema
from lantian.errors import InputError

if TYPE_CHECKING:
    from lantian.ingest.hj212_server import ReceiverLimits

ingest_app = typer.Typer(help="数据接入 / data ingestion (HJ 212 receiver).", no_args_is_help=True)
devices_app = typer.Typer(
    help="数采仪登记 / HJ 212 device registry (MN, password, station).", no_args_is_help=True
)
console = Console()

DEFAULT_HJ212_PORT = 9212


@ingest_app.command("hj212")
def ingest_hj212(
    port: int = typer.Option(DEFAULT_HJ212_PORT, help="TCP port of the receiver"),
    host: str = typer.Option(
        "0.0.0.0",  # noqa: S104 — the stand-alone receiver serves devices in the field; --host narrows it
        help="listen address",
    ),
    max_connections: int | None = typer.Option(
        None, help="most simultaneous device connections [LANTIAN_HJ212_MAX_CONNECTIONS: 2000]"
    ),
    idle_timeout: float | None = typer.Option(
        None, help="close a connection silent this many s [LANTIAN_HJ212_IDLE_TIMEOUT: 600]"
    ),
    workers: int = typer.Option(
        1, min=1, help="receiver processes sharing the port (PostgreSQL; SQLite: keep 1)"
    ),
) -> None:
    """启动 HJ 212 数据接收服务 / Run the HJ 212 TCP receiver (acks only after commit)."""
    from lantian.db.engine import create_db_engine
    from lantian.ingest.hj212_server import ReceiverLimits

    settings = get_settings()
    url = settings.effective_database_url
    engine = create_db_engine(url)
    require_current_schema(engine)
    engine.dispose()
    if workers > 1 and port == 0:
        raise InputError("多进程需要固定端口 / --workers > 1 needs a fixed --port")
    limits = ReceiverLimits.from_settings(
        settings, max_connections=max_connections, idle_timeout=idle_timeout
    )
    context = multiprocessing.get_context("spawn")
    children = []
    for _ in range(workers - 1):
        ready = context.Event()
        child = context.Process(
            target=_serve, args=(url, host, port, limits, True, ready), daemon=True
        )
        child.start()
        children.append((child, ready))
    for _, ready in children:
        if not ready.wait(60):
            raise InputError("接收进程未能启动 / a receiver worker did not start")
    try:
        _serve(url, host, port, limits, workers > 1, None, announce=True)
    finally:
        for child, _ in children:
            child.terminate()
        for child, _ in children:
            child.join(10)
    console.print("HJ 212 接收服务已停止 / receiver stopped", highlight=False)


def start_receiver_process(
    url: str, host: str, port: int, limits: ReceiverLimits | None = None
) -> multiprocessing.process.BaseProcess:
    """Run the receiver in a child process beside `lantian serve`; returns once it listens.

    A process of its own, so that decoding packets never competes with web requests for the
    interpreter lock.  Stop it with :func:`stop_receiver_process`.
    """
    from lantian.ingest.hj212_server import ReceiverLimits

    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(
        target=_serve,
        args=(
            url,
            host,
            port,
            limits or ReceiverLimits.from_settings(get_settings()),
            False,
            ready,
        ),
        name="lantian-hj212",
        daemon=True,
    )
    process.start()
    while not ready.wait(0.1):
        if not process.is_alive():
            raise InputError(
                f"HJ 212 接收服务未能启动（端口 {port} 被占用？）/ "
                f"the HJ 212 receiver did not start (port {port} in use?)"
            )
    return process


def stop_receiver_process(process: multiprocessing.process.BaseProcess) -> None:
    """SIGTERM: the receiver stops reading, commits what it holds and exits."""
    process.terminate()
    process.join(15)
    if process.is_alive():
        process.kill()
        process.join(5)


#: Young-generation threshold of the receiver process (CPython's default is 700).
RECEIVER_GC_THRESHOLD: Final = 50_000


def _tune_garbage_collector() -> None:
    """Fewer cyclic-GC passes in the receiver process (a receiver, not a library, setting).

    Each packet allocates a few dozen short-lived containers (items, values, futures), so with
    the default thresholds the collector ran full passes over every long-lived object (the
    codec's memos, the device registry) every thousand packets or so: about 20 µs a packet,
    measured with ``bench/hj212_bench.py``.  The frames themselves hold no reference cycles;
    the rarer passes still reclaim what cycles there are, and the start-up objects are frozen
    out of them.
    """
    gc.freeze()
    gc.set_threshold(RECEIVER_GC_THRESHOLD, 50, 100)


def _serve(
    url: str,
    host: str,
    port: int,
    limits: ReceiverLimits,
    reuse_port: bool,
    ready: Any,
    *,
    announce: bool = False,
) -> None:
    """One receiver process: serve until SIGINT/SIGTERM."""
    from lantian.db.engine import create_db_engine
    from lantian.ingest.hj212_server import run_receiver
    from lantian.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = create_db_engine(url)
    _tune_garbage_collector()

    def listening(bound: int) -> None:
        if ready is not None:
            ready.set()
        if announce:
            # One plain line on stdout: scripts and tests wait for it before connecting.
            print(f"HJ 212 接收服务已启动 / listening on {host}:{bound}", flush=True)

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        await run_receiver(
            engine, host, port, limits, reuse_port=reuse_port, on_listening=listening
        )

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    finally:
        engine.dispose()


@devices_app.command("add")
def devices_add(
    mn: str = typer.Argument(..., help="设备唯一标识 MN"),
    password: str | None = typer.Option(None, "--password", help="访问密码 PW (omit: not checked)"),
    station: str | None = typer.Option(None, "--station", help="监测点编码 station code"),
    source: str | None = typer.Option(None, "--source", help="排放口/企业编码 stack or outfall"),
    name: str | None = typer.Option(None, "--name"),
    crc_mode: str = typer.Option("hj212", "--crc-mode", help="hj212 | modbus | none"),
    protocol: str = typer.Option("auto", "--protocol", help="auto | 2017 | 2005"),
    parse_mode: str = typer.Option("tolerant", "--parse-mode", help="strict | tolerant"),
    aliases: str | None = typer.Option(
        None, "--aliases", help='JSON vendor code aliases, e.g. \'{"PM25": "a34004"}\''
    ),
    units: str | None = typer.Option(
        None,
        "--units",
        help='JSON unit overrides, e.g. \'{"a34004": {"factor": 0.001, "unit": "µg/m³"}}\'',
    ),
) -> None:
    """登记数采仪 / Register a device (data logger) by its MN."""
    from lantian.db.engine import create_db_engine, session_factory, transaction
    from lantian.monitoring.devices import add_device

    def json_option(text: str | None, what: str) -> dict[str, object] | None:
        if text is None:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{what} 不是有效的 JSON / {what} is not valid JSON: {error}"
            ) from None
        if not isinstance(value, dict):
            raise InputError(f"{what} 应为 JSON 对象 / {what} must be a JSON object")
        return value

    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    try:
        with transaction(session_factory(engine)) as session:
            device = add_device(
                session,
                mn,
                password=password,
                station_code=station,
                source_code=source,
                name=name,
                protocol=protocol,
                crc_mode=crc_mode,
                parse_mode=parse_mode,
                code_aliases=json_option(aliases, "--aliases"),  # type: ignore[arg-type]
                unit_overrides=json_option(units, "--units"),
            )
            console.print(f"[green]已登记 / registered[/green] {device.mn}", highlight=False)
    finally:
        engine.dispose()


@devices_app.command("set")
def devices_set(
    mn: str = typer.Argument(..., help="设备唯一标识 MN"),
    password: str | None = typer.Option(None, "--password", help="new access password PW"),
    no_password: bool = typer.Option(False, "--no-password", help="stop checking PW"),
    active: bool | None = typer.Option(
        None, "--active/--inactive", help="accept or refuse (QnRtn=2) its data"
    ),
    crc_mode: str | None = typer.Option(None, "--crc-mode", help="hj212 | modbus | none"),
) -> None:
    """修改数采仪 / Change a device: password, active, CRC variant."""
    from lantian.db.engine import create_db_engine, session_factory, transaction
    from lantian.monitoring.devices import update_device

    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    try:
        with transaction(session_factory(engine)) as session:
            device = update_device(
                session,
                mn,
                password=password,
                clear_password=no_password,
                active=active,
                crc_mode=crc_mode,
            )
            state = "启用 active" if device.active else "停用 inactive"
            console.print(f"[green]已修改 / updated[/green] {device.mn} ({state})", highlight=False)
    finally:
        engine.dispose()


@devices_app.command("list")
def devices_list() -> None:
    """列出数采仪 / List registered devices (passwords hidden)."""
    from lantian.db.engine import create_db_engine, session_factory
    from lantian.monitoring.devices import list_devices

    engine = create_db_engine(get_settings().effective_database_url)
    require_current_schema(engine)
    with session_factory(engine)() as session:
        rows = list_devices(session)
    engine.dispose()
    table = Table(
        "MN",
        "名称 name",
        "监测点 station",
        "排放口 source",
        "协议",
        "CRC",
        "解析",
        "密码 PW",
        "启用 active",
        title=f"数采仪 / devices ({len(rows)})",
    )
    for row in rows:
        table.add_row(
            row.mn,
            row.name or "",
            row.station_code or "",
            row.source_code or "",
            row.protocol,
            row.crc_mode,
            row.parse_mode,
            "✓" if row.has_password else "—",
            "✓" if row.active else "✗",
        )
    Console(file=sys.stdout, width=160).print(table)
