"""Forecast versions, decisions with audit and permissions, notices, and their delivery."""

from __future__ import annotations

import email
import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.db.engine import session_factory, transaction
from lantian.errors import Conflict, InputError
from lantian.plan import DEFAULT_PLAN_DIR
from lantian.warnings.models import WarningNotificationRow
from lantian.warnings.notify import NotifySettings, deliver
from lantian.warnings.rules import load_rules
from lantian.warnings.service import (
    PermissionDenied,
    active_warning,
    decide,
    forecast_issues,
    import_forecasts,
)

PLAN = DEFAULT_PLAN_DIR
RULES = load_rules(PLAN)
OFFICE = Principal("office", "campaign_office")
LEADER = Principal("leader", "leader")
TOWNSHIP = Principal("quliang", "township", "410183113")
CITY = "410183"
AREAS = ["410183100", "410183113"]
T0 = datetime(2017, 12, 1, 12, tzinfo=UTC)

CSV = """area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source
410183,2017-12-01T08:00+08:00,2017-12-01T08:00+08:00,2017-12-02T08:00+08:00,230,PM2.5,市环境监测站
410183,2017-12-01T08:00+08:00,2017-12-02T08:00+08:00,2017-12-03T08:00+08:00,260,PM2.5,市环境监测站
410183,2017-12-01T20:00+08:00,2017-12-01T21:00+08:00,2017-12-01T22:00+08:00,210,PM2.5,市环境监测站
410183,2017-12-01T20:00+08:00,2017-12-01T22:00+08:00,2017-12-01T23:00+08:00,,PM2.5,市环境监测站
"""


def audit_actions(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_forecast_versions_are_all_kept(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        first = import_forecasts(session, OFFICE, CSV, "fc.csv", now=T0)
    assert (first.new_issues, first.revisions, first.unchanged, first.values) == (2, 0, 0, 4)
    with transaction(sessions) as session:
        again = import_forecasts(session, OFFICE, CSV, "fc.csv", now=T0)
    assert (again.new_issues, again.unchanged) == (0, 2)
    changed = CSV.replace(",260,", ",310,")
    with transaction(sessions) as session:
        revised = import_forecasts(session, OFFICE, changed, "fc-v2.csv", now=T0)
    assert (revised.revisions, revised.unchanged) == (1, 1)
    with sessions() as session:
        issues = forecast_issues(session, CITY)
    assert [(i.issued_at.hour, [v.aqi for v in i.values]) for i in issues] == [
        (0, [230, 260]),
        (0, [230, 310]),
        (12, [210, None]),
    ]
    assert issues[0].values[0].hours == 24 and issues[2].values[0].hours == 1
    assert audit_actions(db_engine).count("warning.forecast_import") == 3


def test_forecast_import_needs_the_right_role(db_engine: Engine) -> None:
    with transaction(session_factory(db_engine)) as session, pytest.raises(PermissionDenied):
        import_forecasts(session, TOWNSHIP, CSV, "fc.csv")
    bad = CSV.replace("2017-12-01T23:00+08:00,,", "2017-12-02T01:00+08:00,,")
    with (
        pytest.raises(InputError, match=r"fc\.csv 第5行 row 5: .*1 or 24 hours \(here 3\)"),
        transaction(session_factory(db_engine)) as session,
    ):
        import_forecasts(session, OFFICE, bad, "fc.csv")


def test_decision_lifecycle_is_audited_with_a_chinese_notice(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        issued = decide(
            session,
            OFFICE,
            RULES,
            action="issue",
            scope=CITY,
            areas=AREAS,
            level="yellow",
            reason="预报12月2日至3日日AQI>200持续2天",
            now=T0,
        )
        notice = issued.notice_text
    assert notice.startswith("新密市重污染天气黄色预警通知")
    # Issued for two townships (issue 14): the notice names them, never 「全市」.
    assert "2017年12月1日20时起在城关镇、曲梁镇发布黄色预警，启动Ⅲ级响应" in notice
    assert "全市" not in notice
    assert "预报12月2日至3日日AQI>200持续2天" in notice and "VOCs减排10%以上" in notice
    assert "攻坚办预警〔2017〕1号" in notice
    with transaction(sessions) as session:
        view = active_warning(session, RULES, CITY)
        assert view is not None and (view.level, view.colour) == ("yellow", "#FFD700")
        with pytest.raises(Conflict, match="already in force"):
            decide(
                session,
                OFFICE,
                RULES,
                action="issue",
                scope=CITY,
                areas=AREAS,
                level="red",
                reason="x",
            )
    with transaction(sessions) as session, pytest.raises(InputError, match="must be above"):
        decide(
            session,
            OFFICE,
            RULES,
            action="upgrade",
            scope=CITY,
            areas=AREAS,
            level="blue",
            reason="x",
        )
    with transaction(sessions) as session:
        up = decide(
            session,
            OFFICE,
            RULES,
            action="upgrade",
            scope=CITY,
            areas=AREAS,
            level="orange",
            reason="新预报出现AQI>300",
            now=T0,
        )
        assert "由Ⅲ级响应调整为Ⅱ级响应" in up.notice_text and "升级为橙色预警" in up.notice_text
    with transaction(sessions) as session:
        lifted = decide(
            session,
            OFFICE,
            RULES,
            action="lift",
            scope=CITY,
            areas=AREAS,
            reason="预报未来36小时AQI≤150",
            now=T0,
        )
        assert "解除城关镇、曲梁镇橙色预警（Ⅱ级响应）" in lifted.notice_text
        assert active_warning(session, RULES, CITY) is None
    with sessions() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == "warning_episode")
                .order_by(AuditEntry.id)
            )
        )
    assert [e.action for e in entries] == ["warning.issue", "warning.upgrade", "warning.lift"]
    assert [e.actor for e in entries] == ["office"] * 3
    assert entries[1].before["level"] == "yellow" and entries[1].after["level"] == "orange"
    assert entries[2].after["level"] is None and entries[2].reason == "预报未来36小时AQI≤150"


def test_only_writers_decide(db_engine: Engine) -> None:
    for who in (LEADER, TOWNSHIP, Principal(None, "public")):
        with transaction(session_factory(db_engine)) as session, pytest.raises(PermissionDenied):
            decide(
                session,
                who,
                RULES,
                action="issue",
                scope=CITY,
                areas=AREAS,
                level="blue",
                reason="x",
            )
    assert audit_actions(db_engine) == []


# --- delivery against a local SMTP server and a local HTTP receiver ---------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        received: list[dict[str, Any]] = self.server.received  # type: ignore[attr-defined]
        self.wfile.write(b"220 test ESMTP\r\n")
        envelope: dict[str, Any] = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb == "MAIL":
                envelope["from"] = command
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                envelope["rcpt"].append(command.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                envelope["data"] = data
                received.append(envelope)
                envelope = {"rcpt": []}
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receivers() -> Iterator[tuple[Any, Any]]:
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    smtp.received = []  # type: ignore[attr-defined]
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    hook.received = []  # type: ignore[attr-defined]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (smtp, hook)]
    for thread in threads:
        thread.start()
    yield smtp, hook
    for server in (smtp, hook):
        server.shutdown()
        server.server_close()


def test_notice_goes_out_by_email_and_webhook(db_engine: Engine, receivers: Any) -> None:
    smtp, hook = receivers
    closed = HTTPServer(("127.0.0.1", 0), _Hook)
    dead_url = f"http://127.0.0.1:{closed.server_address[1]}/gone"
    closed.server_close()  # nothing listens there any more
    settings = NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.server_address[1],
        mail_to=["office@xinmi.example", "ep@xinmi.example"],
        webhook_urls=[f"http://127.0.0.1:{hook.server_address[1]}/hook", dead_url],
        timeout_s=5,
    )
    sessions = session_factory(db_engine)
    with transaction(sessions) as session:
        decision = decide(
            session,
            OFFICE,
            RULES,
            action="issue",
            scope=CITY,
            areas=AREAS,
            level="orange",
            reason="预报AQI>200持续3天且出现AQI>300",
            now=T0,
        )
    with transaction(sessions) as session:
        results = deliver(session, decision, settings)
    assert [(r.channel, r.ok) for r in results] == [
        ("email", True),
        ("webhook", True),
        ("webhook", False),
    ]
    mail = smtp.received[0]
    assert mail["rcpt"] == ["office@xinmi.example", "ep@xinmi.example"]
    message = email.message_from_bytes(mail["data"])
    assert str(make_header(decode_header(message["Subject"]))) == "新密市重污染天气橙色预警通知"
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "启动Ⅱ级响应" in body and "预报AQI>200持续3天且出现AQI>300" in body
    sent = hook.received[0]
    assert (sent["event"], sent["to_level"], sent["areas"]) == ("warning.issue", "orange", AREAS)
    assert sent["notice_text"] == decision.notice_text
    with sessions() as session:
        rows = list(
            session.scalars(select(WarningNotificationRow).order_by(WarningNotificationRow.id))
        )
    assert [(r.channel, r.ok) for r in rows] == [
        ("email", True),
        ("webhook", True),
        ("webhook", False),
    ]
    assert "ConnectError" in rows[2].detail


def test_settings_read_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_WARNING_MAIL_TO", "a@x.cn, b@x.cn")
    monkeypatch.setenv("LANTIAN_WARNING_WEBHOOK_URLS", '["http://h/1"]')
    settings = NotifySettings()
    assert settings.mail_to == ["a@x.cn", "b@x.cn"] and settings.webhook_urls == ["http://h/1"]


def test_demo_sample_forecast_is_marked_and_idempotent(db_engine: Engine) -> None:
    from lantian.warnings.demo import load_sample_forecast

    sessions = session_factory(db_engine)
    assert "+2 新增 added" in load_sample_forecast(sessions)
    assert "+0 新增 added, 2 未变 unchanged" in load_sample_forecast(sessions)
    with sessions() as session:
        issues = forecast_issues(session, CITY)
    assert len(issues) == 1 and issues[0].source.startswith("示例数据 / sample")
    assert [v.aqi for v in issues[0].values] == [205, 190, 255, 330, 120]


def _import_first_week(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> Path:
    """Import Zhengzhou 2019-01-01..07 (cut from the real extract) into the test database."""
    from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
    from lantian.monitoring.cnemc_import import import_cnemc_file

    extract = shared_dir / "data/cnemc/zhengzhou_extract/zhengzhou_sites_2019-01-01_2019-08-31.csv"
    lines = extract.read_text("utf-8").splitlines()
    first_week = [lines[0]] + [ln for ln in lines[1:] if "20190101" <= ln[:8] <= "20190107"]
    small = tmp_path / "zhengzhou_sites_2019-01-01_2019-01-07.csv"
    small.write_text("\r\n".join(first_week), encoding="utf-8")
    stations = [s for s in read_station_list(BUNDLED_STATION_LIST) if s.city == "郑州"]
    import_cnemc_file(session_factory(db_engine), small, tmp_path / "uploads", stations)
    return small


def test_city_series_from_the_database_equals_the_one_from_the_files(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    """Replaying from the database sees the same rolling AQI as replaying from the CNEMC files."""
    from datetime import date

    import numpy as np

    from lantian.warnings.replay import load_city
    from lantian.warnings.service import city_series_from_db

    small = _import_first_week(db_engine, shared_dir, tmp_path)
    with session_factory(db_engine)() as session:
        from_db = city_series_from_db(session, "郑州", date(2019, 1, 2), date(2019, 1, 5))
    from_files = load_city(small, "郑州", date(2019, 1, 2), date(2019, 1, 5))
    assert from_db.stations == from_files.stations  # 1324A (对照点) left out of both
    # compare from the first hour whose 24-h window both series hold entirely
    first = max(from_db.times[0], from_files.times[0]) + timedelta(hours=24)
    last = min(from_db.times[-1], from_files.times[-1])
    db_part = from_db.rolling_aqi[from_db.index_of(first) : from_db.index_of(last) + 1]
    file_part = from_files.rolling_aqi[from_files.index_of(first) : from_files.index_of(last) + 1]
    assert len(db_part) == len(file_part) > 24 * 5
    np.testing.assert_array_equal(db_part, file_part)
    assert int((db_part > 300).sum()) > 0  # the 2019-01-04/05 peak is in it


def test_assess_now_from_stored_observations_and_forecasts(
    db_engine: Engine, shared_dir: Path, tmp_path: Path
) -> None:
    from lantian.timeutil import CHINA_TZ
    from lantian.warnings.service import assess_now

    _import_first_week(db_engine, shared_dir, tmp_path)
    sessions = session_factory(db_engine)
    at = datetime(2019, 1, 3, 20, tzinfo=CHINA_TZ)
    with sessions() as session:
        quiet = assess_now(session, RULES, "郑州", at)
    # persistence of the observed ~195 at 2019-01-03 20:00: nothing to propose
    assert quiet.forecast_name == "persistence" and quiet.assessment.proposal is None
    assert quiet.observed_now is not None and 150 < quiet.observed_now <= 200
    csv_text = (
        "area,issued_at,valid_start,valid_end,aqi,primary_pollutant,source\n"
        "郑州,2019-01-03T17:00,2019-01-04T00:00,2019-01-05T00:00,260,PM2.5,市监测站\n"
        "郑州,2019-01-03T17:00,2019-01-05T00:00,2019-01-06T00:00,320,PM2.5,市监测站\n"
        "郑州,2019-01-03T17:00,2019-01-06T00:00,2019-01-07T00:00,230,PM2.5,市监测站\n"
    )
    with transaction(sessions) as session:
        import_forecasts(session, OFFICE, csv_text, "fc.csv")
    with sessions() as session:
        live = assess_now(session, RULES, "郑州", at)
    proposal = live.assessment.proposal
    assert live.forecast_name == "市监测站 2019-01-03 17:00"
    assert proposal is not None and (proposal.action.value, proposal.to_rank) == ("issue", 3)
    assert "橙色预警" in proposal.text(RULES)
