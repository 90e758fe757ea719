"""The earth order's registers (task 30) through the one write path, on both backends: exemptions
by application → sector review → city approval with their documents, findings judged against
the approved exemptions covering their place and day."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from docx import Document
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.auth.permissions import Principal
from lantian.db.engine import transaction
from lantian.errors import Conflict, Invalid, NotAllowed
from lantian.files import FileStore
from lantian.plan import Plan
from lantian.sources import service
from lantian.sources.kinds import earthwork_exemptions, earthwork_findings
from lantian.sources.kinds.earthwork_exemptions import EarthworkExemption
from lantian.sources.kinds.earthwork_findings import EarthworkFinding
from lantian.sources.models import SourceFile
from lantian.sources.service import StepInput, UploadedFile
from lantian.tabular import Rejected

from .conftest import CHENGGUAN, INSPECTOR, MICUN, OFFICE
from .helpers import cases, check, entry_id, evaluate, import_file, step

EXEMPTIONS = earthwork_exemptions.KIND
FINDINGS = earthwork_findings.KIND
ZJJ = Principal("zjj-user", "unit", "zjj")  # 市住建局: the sector department of the works below
JYJ = Principal("jyj-user", "unit", "jyj")  # 市交运局: another sector department
#: 2017-12-20 10:00 in Xinmi: inside the plan's heating season (11-15 to 03-15).
WINTER = datetime(2017, 12, 20, 2, 0, tzinfo=UTC)

EXEMPTION_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,项目建设单位,作业类型,申请理由,"
    "施工期开始,施工期结束,施工范围半径（米）"
)
GOOD_EXEMPTIONS = "\n".join(
    [
        EXEMPTION_HEADER,
        "XTL-001,城关镇保障房项目,410183100,zjj,青屏大街与开阳路口,113.385,34.537,"
        "新密市城市建设投资公司,房屋建筑土石方 building,重点项目,2017-12-01,2017-12-31,300",
        "XTL-002,米村镇供水管网抢修,410183101,swj2,米村镇,113.30,34.60,新密市自来水公司,"
        "水利工程,重大民生工程 livelihood,2017-12-10,2018-01-10,",
    ]
).encode()
FINDING_HEADER = (
    "编号,名称,乡镇代码,责任单位代码,地址,经度,纬度,发现日期,作业类型,施工单位,项目名称"
)
GOOD_FINDINGS = "\n".join(
    [
        FINDING_HEADER,
        # on the exemption's site (≈ 110 m from its point), in its period
        "TSF-1,保障房工地土方,410183100,zjj,开阳路口,113.386,34.5375,2017-12-15,"
        "土石方作业,某建筑公司,城关镇保障房项目",
        # in the built-up area, ≈ 900 m from any exempted site
        "TSF-2,新华路拆除,410183100,zjj,新华路,113.395,34.537,2017-12-15,"
        "房屋拆迁（拆除）施工,某拆迁公司,",
        # on the exempted site, but after its period
        "TSF-3,保障房工地土方,410183100,zjj,开阳路口,113.386,34.5375,2018-01-05,土石方作业,,",
        # in the built-up area before the heating season
        "TSF-4,新华路土方,410183100,zjj,新华路,113.395,34.537,2017-11-01,土石方作业,,",
        # outside the built-up area, in the heating season
        "TSF-5,米村镇土方,410183101,,米村镇,113.30,34.60,2017-12-15,earthworks,,",
    ]
).encode()
LETTER = UploadedFile("申请函.pdf", b"%PDF-1.4 application letter of the builder")
OPINION = UploadedFile("初审意见.pdf", b"%PDF-1.4 the sector department's review opinion")
APPROVAL = UploadedFile("市政府批复.pdf", b"%PDF-1.4 the city government's consent")


@pytest.fixture
def winter() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(WINTER)
    with clock.use(moment):
        yield moment


def take(
    sessions: sessionmaker[Session],
    store: FileStore,
    who: Principal,
    record_id: int,
    event: str,
    files: list[UploadedFile],
    note: str = "",
) -> None:
    with transaction(sessions) as session:
        service.take_step(
            session,
            who,
            EXEMPTIONS,
            record_id,
            StepInput(event=event, note=note),
            files=files,
            store=store,
        )


def state_of(sessions: sessionmaker[Session], model: type, key: str) -> str:
    with transaction(sessions) as session:
        return str(session.scalar(select(model.state).where(model.key == key)))


def test_import_good_files_then_reimport_is_idempotent(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    first = import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    found = import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS)
    assert found.created == 5
    assert import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS).unchanged == 5
    with transaction(sessions) as session:
        second = session.scalar(
            select(EarthworkExemption).where(EarthworkExemption.key == "XTL-002")
        )
        assert second is not None
        assert (second.works, second.grounds, second.radius_m) == ("water", "livelihood", 300.0)
        assert second.state == "registered"


def test_files_with_bad_rows_report_every_row_and_write_nothing(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    bad = "\n".join(
        [
            EXEMPTION_HEADER,
            "XTL-1,好的一行,410183100,zjj,,113.385,34.537,某公司,道路工程,重点项目,2017-12-01,2017-12-31,",
            "XTL-2,没有坐标,410183100,zjj,,,,某公司,道路工程,重点项目,2017-12-01,2017-12-31,",
            "XTL-3,没有初审部门,410183100,,,113.385,34.537,某公司,道路工程,重点项目,2017-12-01,2017-12-31,",
            "XTL-4,期间颠倒,410183100,zjj,,113.385,34.537,某公司,道路工程,重点项目,2017-12-31,2017-12-01,",
            "XTL-5,未知类型,410183100,zjj,,113.385,34.537,某公司,挖沙,重点项目,2017-12-01,2017-12-31,",
            "XTL-1,重复编号,410183100,zjj,,113.385,34.537,某公司,道路工程,重点项目,2017-12-01,2017-12-31,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, EXEMPTIONS, bad)
    assert sorted({p.row for p in refused.value.problems}) == [3, 4, 5, 6, 7]
    bad_findings = "\n".join(
        [
            FINDING_HEADER,
            "TSF-1,没有坐标,410183100,zjj,,,,2017-12-15,土石方作业,,",
            "TSF-2,错误日期,410183100,zjj,,113.39,34.54,十二月,土石方作业,,",
            "TSF-3,未知乡镇,999999999,zjj,,113.39,34.54,2017-12-15,土石方作业,,",
        ]
    ).encode()
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, FINDINGS, bad_findings)
    assert sorted({p.row for p in refused.value.problems}) == [2, 3, 4]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(EarthworkExemption)) == 0
        assert session.scalar(select(func.count()).select_from(EarthworkFinding)) == 0


def test_an_exemption_is_applied_for_reviewed_by_its_sector_and_approved_by_the_city(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    record = entry_id(sessions, EXEMPTIONS, "XTL-001")
    # The application carries its letter: without a file it is refused.
    with pytest.raises(Invalid, match="须附文件"):
        take(sessions, store, CHENGGUAN, record, "apply", [])
    # Another township may not apply for 城关镇's project.
    with pytest.raises(NotAllowed):
        take(sessions, store, MICUN, record, "apply", [LETTER])
    take(sessions, store, CHENGGUAN, record, "apply", [LETTER])
    # The city's approval comes only after the sector department's review.
    with pytest.raises(Conflict):
        take(sessions, store, OFFICE, record, "approve", [APPROVAL])
    # Neither the township nor the office nor another department reviews for 住建局.
    for who in (CHENGGUAN, OFFICE, INSPECTOR):
        with pytest.raises(NotAllowed):
            take(sessions, store, who, record, "review", [OPINION])
    with pytest.raises(NotAllowed):
        take(sessions, store, JYJ, record, "review", [OPINION])
    with pytest.raises(Invalid):
        take(sessions, store, ZJJ, record, "review", [])
    take(sessions, store, ZJJ, record, "review", [OPINION])
    assert state_of(sessions, EarthworkExemption, "XTL-001") == "reviewed"
    # A township cannot approve, nor can the department itself.
    for who in (CHENGGUAN, ZJJ):
        with pytest.raises(NotAllowed):
            take(sessions, store, who, record, "approve", [APPROVAL])
    with pytest.raises(Invalid):
        take(sessions, store, OFFICE, record, "approve", [])
    take(sessions, store, OFFICE, record, "approve", [APPROVAL])
    assert state_of(sessions, EarthworkExemption, "XTL-001") == "approved"
    # Each step keeps its document in the file store, on the entry's timeline.
    with transaction(sessions) as session:
        events = service.timeline(session, EXEMPTIONS, record)
        kept = {e.event: [f.filename for f in files] for e, files in events if files}
        assert kept == {
            "apply": ["申请函.pdf"],
            "review": ["初审意见.pdf"],
            "approve": ["市政府批复.pdf", "XTL-001-批复.docx"],
        }
        approval = session.scalar(select(SourceFile).where(SourceFile.filename == "市政府批复.pdf"))
        assert approval is not None and approval.stored_by == OFFICE.username
        path = store.relative_path(approval.sha256)
        assert store.read(path, approval.sha256) == APPROVAL.content
        # The platform renders the approval as a Word file the office prints, kept with the step.
        rendered = session.scalar(
            select(SourceFile).where(SourceFile.filename == "XTL-001-批复.docx")
        )
        assert rendered is not None and rendered.event_id == approval.event_id
        content = store.read(store.relative_path(rendered.sha256), rendered.sha256)
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert text.startswith("新密市人民政府关于同意城关镇保障房项目采暖季土石方作业的批复")
    assert "新密市城市建设投资公司：" in text
    assert "2017年12月01日至2017年12月31日" in text and "半径 300 米" in text
    assert "市住建局2017年12月20日初审意见" in text


def test_a_refusal_says_why_and_ends_the_application(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    record = entry_id(sessions, EXEMPTIONS, "XTL-001")
    take(sessions, store, CHENGGUAN, record, "apply", [LETTER])
    with pytest.raises(Invalid):
        take(sessions, store, ZJJ, record, "reject", [OPINION])
    take(sessions, store, ZJJ, record, "reject", [OPINION], note="非重大民生工程，可以停工")
    assert state_of(sessions, EarthworkExemption, "XTL-001") == "refused"
    with pytest.raises(Conflict):
        take(sessions, store, OFFICE, record, "approve", [APPROVAL])


def approve(sessions: sessionmaker[Session], store: FileStore, key: str) -> None:
    record = entry_id(sessions, EXEMPTIONS, key)
    take(sessions, store, OFFICE, record, "apply", [LETTER])
    take(sessions, store, Principal("admin", "administrator"), record, "review", [OPINION])
    take(sessions, store, OFFICE, record, "approve", [APPROVAL])


def test_works_found_without_an_approved_exemption_open_one_case_each(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS)
    # Before the exemption is approved, the works on its site are a breach too.
    evaluate(sessions)
    before = sorted(c.dedup_key for c in cases(sessions, "earthwork_finding.without_exemption"))
    assert [k.rsplit(":", 1)[-1] for k in before] == ["TSF-1", "TSF-2", "TSF-3"]
    # Once approved, a new finding on its site within its period is no breach …
    approve(sessions, store, "XTL-001")
    more = GOOD_FINDINGS.replace(b"TSF-1,", b"TSF-6,").replace(b"TSF-2,", b"TSF-7,")
    import_file(sessions, plan, store, FINDINGS, more)
    evaluate(sessions, times=3)
    opened = cases(sessions, "earthwork_finding.without_exemption")
    subjects = sorted(c.dedup_key.rsplit(":", 1)[-1] for c in opened)
    # … while works elsewhere in the built-up area are: one case per finding, however often
    # evaluated; outside the built-up area or the heating season nothing.
    assert subjects == ["TSF-1", "TSF-2", "TSF-3", "TSF-7"]
    assert all(c.occurrences == 1 for c in opened)
    case = next(c for c in opened if c.dedup_key.endswith("TSF-7"))
    assert case.area_code == "410183100" and case.severity == "serious"
    assert "房屋拆迁（拆除）施工" in case.title


def test_a_finding_is_confirmed_exempt_only_when_an_approved_exemption_covers_it(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS)
    covered = entry_id(sessions, FINDINGS, "TSF-1")
    elsewhere = entry_id(sessions, FINDINGS, "TSF-2")
    with pytest.raises(Conflict, match="豁免"):
        step(sessions, OFFICE, FINDINGS, covered, "confirm_exempt")
    approve(sessions, store, "XTL-001")
    step(sessions, OFFICE, FINDINGS, covered, "confirm_exempt")
    assert state_of(sessions, EarthworkFinding, "TSF-1") == "exempt"
    with pytest.raises(Conflict, match="豁免"):
        step(sessions, OFFICE, FINDINGS, elsewhere, "confirm_exempt")
    # Stopping the works needs the stop seen on the spot with a photo.
    with pytest.raises(Conflict, match="已停止土石方作业"):
        step(sessions, CHENGGUAN, FINDINGS, elsewhere, "stop")
    check(sessions, store, INSPECTOR, FINDINGS, elsewhere, {"work_stopped": "pass"})
    step(sessions, CHENGGUAN, FINDINGS, elsewhere, "stop")
    assert state_of(sessions, EarthworkFinding, "TSF-2") == "stopped"
    with pytest.raises(NotAllowed):
        step(sessions, CHENGGUAN, FINDINGS, elsewhere, "reopen", note="又开工了")


def test_a_finding_not_stopped_by_its_deadline_is_overdue_once(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    rows = GOOD_FINDINGS.decode().splitlines()
    header = rows[0].replace("地址,", "地址,完成时限,")
    dated = [header] + [
        ",".join([*r.split(",")[:5], "2017-12-16", *r.split(",")[5:]]) for r in rows[1:]
    ]
    approve(sessions, store, "XTL-001")
    import_file(sessions, plan, store, FINDINGS, "\n".join(dated).encode())
    evaluate(sessions)
    overdue = sorted(
        c.dedup_key.rsplit(":", 1)[-1] for c in cases(sessions, "earthwork_finding.overdue")
    )
    # TSF-1 is covered by the approved exemption, TSF-4 and TSF-5 are not bound by the order.
    assert overdue == ["TSF-2", "TSF-3"]


def test_a_township_is_refused_another_townships_entries(
    sessions: sessionmaker[Session], plan: Plan, store: FileStore, winter: clock.FrozenClock
) -> None:
    with pytest.raises(Rejected) as refused:
        import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS, who=MICUN)
    assert {p.row for p in refused.value.problems} == {2, 3, 4, 5}
    import_file(sessions, plan, store, FINDINGS, GOOD_FINDINGS)
    with transaction(sessions) as session, pytest.raises(NotAllowed):
        service.get_entry(session, MICUN, FINDINGS, entry_id(sessions, FINDINGS, "TSF-2"))
    with transaction(sessions) as session:
        page = service.list_entries(session, MICUN, FINDINGS, service.EntryFilter())
        assert [e.key for e in page.items] == ["TSF-5"]
        # the sector department reads the exemptions it reviews, not the others'
    import_file(sessions, plan, store, EXEMPTIONS, GOOD_EXEMPTIONS)
    with transaction(sessions) as session:
        page = service.list_entries(session, ZJJ, EXEMPTIONS, service.EntryFilter())
        assert [e.key for e in page.items] == ["XTL-001"]
