"""Cases in the database: the life of a case, deduplicated opening, evidence, escalation, progress."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import audit
from lantian.auth.models import AuditEntry
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import InputError, Invalid
from lantian.supervision import service
from lantian.supervision.models import CaseEvent, CaseEvidence, CaseOccurrence, InspectionCase
from lantian.supervision.rules import EscalationPolicy, NotPermitted, TransitionRefused
from lantian.supervision.service import CaseDraft, EvidenceFile

T0 = datetime(2017, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Xinmi
INSPECTOR = Principal("duchazu", "inspector")
OFFICE = Principal("gongjianban", "campaign_office")
CHENGGUAN = Principal("chengguan", "township", "410183100")
MICUN = Principal("micun", "township", "410183101")
HBJ = Principal("hbj-user", "unit", "hbj")


def draft(**changes: object) -> CaseDraft:
    values: dict[str, object] = {
        "source": "inspection_team",
        "title": "某石料厂料堆未覆盖",
        "area_code": "410183100",
        "site": "城关镇某石料厂",
        "longitude": 113.39,
        "latitude": 34.54,
        "severity": "serious",
        "deadline": T0 + timedelta(days=2),
        "reference": "第1批-003",
    }
    values.update(changes)
    return CaseDraft(**values)  # type: ignore[arg-type]


def new_case(sessions: sessionmaker[Session], **changes: object) -> int:
    with transaction(sessions) as session:
        return service.record_case(session, INSPECTOR, draft(**changes), T0).id


def step(
    sessions: sessionmaker[Session],
    who: Principal,
    case_id: int,
    event: str,
    at: datetime,
    **kwargs: object,
) -> InspectionCase:
    with transaction(sessions) as session:
        return service.take_step(session, who, case_id, event, at, **kwargs)  # type: ignore[arg-type]


def test_a_case_from_assignment_to_closure_is_timed_and_audited(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    case_id = new_case(sessions)
    step(sessions, OFFICE, case_id, "forward", T0 + timedelta(hours=1), unit_code="hbj")
    step(sessions, CHENGGUAN, case_id, "accept", T0 + timedelta(hours=2))
    photo = EvidenceFile("覆盖后.jpg", b"\xff\xd8 covered pile")
    step(
        sessions,
        HBJ,
        case_id,
        "report",
        T0 + timedelta(hours=5),
        note="已全部覆盖",
        evidence=[photo],
        data_dir=tmp_path,
    )
    step(sessions, OFFICE, case_id, "reject", T0 + timedelta(hours=6), note="东侧仍裸露")
    step(sessions, CHENGGUAN, case_id, "report", T0 + timedelta(hours=9), note="东侧已覆盖")
    closed = step(sessions, OFFICE, case_id, "close", T0 + timedelta(hours=10))
    assert closed.state == "closed"
    assert closed.closed_at == T0 + timedelta(hours=10)
    assert closed.unit_code == "hbj"
    with sessions() as session:
        events = service.timeline(session, case_id)
        assert [(e.event, e.from_state, e.to_state, e.actor) for e, _ in events] == [
            ("created", None, "assigned", "duchazu"),
            ("forward", "assigned", "forwarded", "gongjianban"),
            ("accept", "forwarded", "rectifying", "chengguan"),
            ("report", "rectifying", "reported", "hbj-user"),
            ("reject", "reported", "rectifying", "gongjianban"),
            ("report", "rectifying", "reported", "chengguan"),
            ("close", "reported", "closed", "gongjianban"),
        ]
        assert events[1][0].details == {"unit_code": "hbj"}
        assert [f.filename for f in events[3][1]] == ["覆盖后.jpg"]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(case_id))
        ).all()
        assert actions == [
            "inspection_case.create",
            "inspection_case.forward",
            "inspection_case.accept",
            "inspection_case.report",
            "inspection_case.reject",
            "inspection_case.report",
            "inspection_case.close",
        ]
        assert audit.verify(session).intact


def test_refusals_write_nothing(sessions: sessionmaker[Session]) -> None:
    case_id = new_case(sessions)
    step(sessions, OFFICE, case_id, "forward", T0, unit_code="hbj")
    with pytest.raises(NotPermitted):
        step(sessions, MICUN, case_id, "accept", T0)  # another township's case
    with pytest.raises(TransitionRefused):
        step(sessions, OFFICE, case_id, "close", T0)  # not reported yet
    step(sessions, CHENGGUAN, case_id, "accept", T0)
    with pytest.raises(InputError, match="needs a note"):
        step(sessions, CHENGGUAN, case_id, "report", T0, note="  ")
    step(sessions, CHENGGUAN, case_id, "report", T0, note="done")
    with pytest.raises(NotPermitted):
        step(sessions, CHENGGUAN, case_id, "close", T0)  # only the office closes
    with pytest.raises(NotPermitted), transaction(sessions) as session:
        service.record_case(session, CHENGGUAN, draft(), T0)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 4
        assert session.get(InspectionCase, case_id).state == "reported"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": "rumour"}, "unknown source"),
        ({"title": " "}, "needs a title"),
        ({"area_code": "4101831"}, "9-digit"),
        ({"unit_code": "环保局"}, "invalid unit code"),
        ({"longitude": None}, "both longitude and latitude"),
        ({"severity": "huge"}, "unknown severity"),
        ({"deadline": datetime(2017, 11, 22)}, "time zone"),
    ],
)
def test_bad_drafts_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        service.validate_draft(draft(**changes))


def test_a_case_outside_the_plan_is_refused_field_by_field(
    sessions: sessionmaker[Session],
) -> None:
    """An area and a unit the plan does not know, and a deadline before today, are each reported
    beside their field, all at once, and nothing is written."""
    with pytest.raises(Invalid) as refused:
        new_case(sessions, area_code="999999999", unit_code="nosuchunit",
                 deadline=T0 - timedelta(days=1))  # fmt: skip
    problems = {problem.field: problem.message for problem in refused.value.problems}  # type: ignore[attr-defined]
    assert set(problems) == {"area_code", "unit_code", "deadline"}
    assert "999999999" in problems["area_code"] and "nosuchunit" in problems["unit_code"]
    assert "in the past" in problems["deadline"]
    assert refused.value.field == "area_code"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InspectionCase)) == 0
    # Later the same day is not "before today" (China time).
    assert new_case(sessions, deadline=T0 + timedelta(hours=1), unit_code="hbj") > 0


def test_forwarding_needs_a_responsible_unit_of_the_plan(
    sessions: sessionmaker[Session],
) -> None:
    case_id = new_case(sessions)  # an area, no unit yet
    with pytest.raises(Invalid) as nobody:
        step(sessions, OFFICE, case_id, "forward", T0)
    assert nobody.value.field == "unit_code" and "responsible unit" in nobody.value.message
    with pytest.raises(Invalid) as unknown:
        step(sessions, OFFICE, case_id, "forward", T0, unit_code="nosuchunit")
    assert unknown.value.field == "unit_code"
    with pytest.raises(Invalid) as past:
        step(sessions, OFFICE, case_id, "forward", T0, unit_code="hbj",
             deadline=T0 - timedelta(days=2))  # fmt: skip
    assert past.value.field == "deadline"
    with sessions() as session:
        assert session.get(InspectionCase, case_id).state == "assigned"  # type: ignore[union-attr]
    assert step(sessions, OFFICE, case_id, "forward", T0, unit_code="hbj").state == "forwarded"


def rule_draft() -> CaseDraft:
    return CaseDraft(
        source="rule",
        title="在线监测超标：某耐材厂 1# 窑 SO2",
        area_code="410183104",
        site="超化镇某耐材厂",
        unit_code="hbj",
        severity="serious",
    )


def test_a_stack_exceeding_every_hour_opens_one_case(sessions: sessionmaker[Session]) -> None:
    hours = [T0 + timedelta(hours=h) for h in range(24)]
    results = []
    for hour in hours:
        with transaction(sessions) as session:
            results.append(
                service.open_case(
                    session,
                    rule="cems.exceedance",
                    subject="stack:41018300001-01:SO2",
                    draft=rule_draft(),
                    observed_at=hour,
                    details={"value": 412.0, "limit": 200.0},
                )
            )
    assert [r.created for r in results] == [True] + [False] * 23
    assert {r.case_id for r in results} == {results[0].case_id}
    assert results[-1].occurrences == 24
    # The same hour sent again (a re-sent packet) changes nothing.
    with transaction(sessions) as session:
        again = service.open_case(
            session,
            rule="cems.exceedance",
            subject="stack:41018300001-01:SO2",
            draft=rule_draft(),
            observed_at=hours[5],
        )
    assert (again.created, again.occurrences) == (False, 24)
    # Another pollutant of the same stack is another problem.
    with transaction(sessions) as session:
        other = service.open_case(
            session,
            rule="cems.exceedance",
            subject="stack:41018300001-01:NOx",
            draft=rule_draft(),
            observed_at=hours[0],
        )
    assert other.created and other.case_id != results[0].case_id
    with sessions() as session:
        case = session.get(InspectionCase, results[0].case_id)
        assert case is not None
        assert (case.first_seen_at, case.last_seen_at) == (hours[0], hours[-1])
        assert len(service.occurrences(session, case.id)) == 24
        assert session.scalar(select(func.count()).select_from(InspectionCase)) == 2


def test_after_closure_the_same_problem_opens_a_new_case(sessions: sessionmaker[Session]) -> None:
    def occur(at: datetime) -> service.OpenedCase:
        with transaction(sessions) as session:
            return service.open_case(
                session,
                rule="cems.exceedance",
                subject="stack:1",
                draft=rule_draft(),
                observed_at=at,
            )

    first = occur(T0)
    for event, who in (("forward", OFFICE), ("accept", HBJ), ("report", HBJ), ("close", OFFICE)):
        step(sessions, who, first.case_id, event, T0 + timedelta(hours=1), note="ok")
    second = occur(T0 + timedelta(days=1))
    assert second.created and second.case_id != first.case_id
    # Reopening the first while the second is open does not steal the key from the second.
    step(sessions, OFFICE, first.case_id, "reopen", T0 + timedelta(days=1, hours=1), note="复发")
    assert occur(T0 + timedelta(days=1, hours=2)).case_id == second.case_id


def test_evidence_is_kept_by_checksum_and_never_overwritten(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    tmp_path = tmp_path / "evidence"
    first = EvidenceFile("现场.jpg", b"\xff\xd8\xff original photo bytes")
    with transaction(sessions) as session:
        case = service.record_case(
            session, INSPECTOR, draft(), T0, evidence=[first], data_dir=tmp_path
        )
        case_id = case.id
    with sessions() as session:
        kept = session.scalars(select(CaseEvidence)).one()
    expected = hashlib.sha256(b"\xff\xd8\xff original photo bytes").hexdigest()
    assert kept.sha256 == expected
    # Relative to the data folder, so that the folder can move.
    assert kept.stored_path == f"files/{expected[:2]}/{expected}"
    stored = tmp_path / kept.stored_path
    assert stored.read_bytes() == b"\xff\xd8\xff original photo bytes"
    stat_before = stored.stat()
    # The same name with other bytes is another file; the first is untouched.
    step(sessions, OFFICE, case_id, "forward", T0, unit_code="hbj")
    step(sessions, HBJ, case_id, "accept", T0)
    step(
        sessions,
        HBJ,
        case_id,
        "progress",
        T0,
        note="覆盖一半",
        evidence=[EvidenceFile("现场.jpg", b"\xff\xd8\xff later photo"), first],
        data_dir=tmp_path,
    )
    with sessions() as session:
        rows = session.scalars(select(CaseEvidence).order_by(CaseEvidence.id)).all()
    assert [r.sha256 == expected for r in rows] == [True, False, True]
    assert stored.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert stored.read_bytes() == b"\xff\xd8\xff original photo bytes"
    assert len(list(tmp_path.rglob("*"))) == 5  # files/, two folders, two files, no leftovers


def test_empty_and_oversized_evidence_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_EVIDENCE_BYTES", 10)
    for content, message in ((b"", "is empty"), (b"x" * 11, "exceeds")):
        with pytest.raises(InputError, match=message), transaction(sessions) as session:
            service.record_case(session, INSPECTOR, draft(), T0,
                                evidence=[EvidenceFile("a.jpg", content)], data_dir=tmp_path)  # fmt: skip
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InspectionCase)) == 0


def test_escalation_with_a_controlled_clock(sessions: sessionmaker[Session]) -> None:
    deadline = T0 + timedelta(days=2)
    late = new_case(sessions, deadline=deadline)
    on_time = new_case(sessions, deadline=deadline)
    no_deadline = new_case(sessions, deadline=None)
    for case_id in (late, on_time):
        step(sessions, OFFICE, case_id, "forward", T0, unit_code="hbj")
        step(sessions, HBJ, case_id, "accept", T0)
    step(sessions, HBJ, on_time, "report", deadline - timedelta(hours=1), note="done")
    policy = EscalationPolicy(escalate_after=timedelta(days=1), listed_deadline=timedelta(days=3))

    def run(now: datetime) -> service.EscalationReport:
        with transaction(sessions) as session:
            return service.run_escalation(session, now, policy)

    assert run(deadline) == service.EscalationReport()  # at the deadline itself: not yet late
    flagged = run(deadline + timedelta(hours=1))
    assert flagged.flagged == [late] and flagged.listed == []
    assert run(deadline + timedelta(hours=1)) == service.EscalationReport()  # idempotent
    assert run(deadline + timedelta(hours=23)).flagged == []  # still flagged, not yet listed
    listing_time = deadline + timedelta(days=1)
    listed = run(listing_time)
    assert listed.listed == [late]
    with sessions() as session:
        case = session.get(InspectionCase, late)
        assert case is not None
        assert case.listed and case.listed_at == listing_time
        assert case.deadline == listing_time + timedelta(days=3)
        assert case.overdue_since is None
    again_late = run(listing_time + timedelta(days=3, minutes=1))
    assert again_late.flagged == [late] and again_late.listed_and_overdue == [late]
    step(sessions, HBJ, late, "report", listing_time + timedelta(days=4), note="终于整改")
    # Reporting back clears the flag at once; the job then has nothing left to do.
    assert run(listing_time + timedelta(days=4)) == service.EscalationReport()
    with sessions() as session:
        events = [e.event for e, _ in service.timeline(session, late)]
        assert events == [
            "created",
            "forward",
            "accept",
            "overdue",
            "list",
            "overdue",
            "report",
        ]
        assert session.get(InspectionCase, no_deadline).overdue_since is None  # type: ignore[union-attr]
        assert audit.verify(session).intact


def test_scoped_lists_and_progress_per_unit(sessions: sessionmaker[Session]) -> None:
    a = new_case(sessions, area_code="410183100")
    b = new_case(sessions, area_code="410183100")
    c = new_case(sessions, area_code="410183101")
    new_case(sessions, area_code="410183101")  # stays assigned, no unit yet
    step(sessions, OFFICE, a, "forward", T0, unit_code="hbj")
    step(sessions, OFFICE, b, "forward", T0, unit_code="zjj")
    step(sessions, OFFICE, c, "forward", T0, unit_code="hbj")
    for case_id, who in ((a, HBJ), (c, HBJ)):
        step(sessions, who, case_id, "accept", T0)
    step(sessions, HBJ, a, "report", T0, note="ok")
    step(sessions, OFFICE, a, "close", T0)
    step(sessions, OFFICE, c, "list", T0, note="拖延", deadline=T0 + timedelta(days=3))
    with sessions() as session:
        own, total = service.list_cases(session, CHENGGUAN)
        assert total == 2 and {x.id for x in own} == {a, b}
        assert service.list_cases(session, HBJ)[1] == 2
        assert service.list_cases(session, Principal(None, "public"))[1] == 0
        assert service.list_cases(session, OFFICE, state="forwarded")[1] == 1
        progress = {p.unit_code: p for p in service.rectification_progress(session, OFFICE)}
    assert set(progress) == {"-", "hbj", "zjj"}
    assert progress["hbj"].by_state == {"closed": 1, "rectifying": 1}
    assert (progress["hbj"].total, progress["hbj"].listed, progress["hbj"].closed_percent) == (
        2,
        1,
        50.0,
    )
    assert progress["zjj"].by_state == {"forwarded": 1}
    assert progress["-"].by_state == {"assigned": 1}


def test_occurrences_table_refuses_a_duplicate_hour(sessions: sessionmaker[Session]) -> None:
    from sqlalchemy.exc import IntegrityError

    with transaction(sessions) as session:
        opened = service.open_case(
            session, rule="r", subject="s", draft=rule_draft(), observed_at=T0
        )
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(CaseOccurrence(case_id=opened.case_id, observed_at=T0))


def test_concurrent_openers_of_the_same_problem_share_one_case(
    sessions: sessionmaker[Session],
) -> None:
    import threading

    barrier = threading.Barrier(4)
    results: list[service.OpenedCase] = []
    errors: list[BaseException] = []

    def opener(hour: int) -> None:
        try:
            with transaction(sessions) as session:
                barrier.wait(timeout=10)
                results.append(
                    service.open_case(
                        session,
                        rule="cems.exceedance",
                        subject="stack:race",
                        draft=rule_draft(),
                        observed_at=T0 + timedelta(hours=hour),
                    )
                )
        except BaseException as error:  # reported below, with the test's failure
            errors.append(error)

    threads = [threading.Thread(target=opener, args=(hour,)) for hour in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({r.case_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with sessions() as session:
        case = session.scalars(select(InspectionCase)).one()
        assert case.occurrences == 4 and len(service.occurrences(session, case.id)) == 4
