"""The demo's accounts: one per role, so that a newcomer can see the platform as each user does.

They share one documented password (README) and are named 演示 (demo) in their display names. They
exist only where `lantian demo` ran; `lantian serve` warns while any is active, because a
published password must never guard real data: disable them (`lantian users disable NAME`) or
do not load the demo on a production server.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.service import add_user

DEMO_PASSWORD = "lantian-demo-2017"  # noqa: S105 — the demo accounts' published password (README); `lantian demo` data only
DEMO_MARK = "演示"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str | None
    display_name: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "administrator", None, "演示·平台管理员"),
    DemoAccount("office", "campaign_office", None, "演示·市攻坚办"),
    DemoAccount("leader", "leader", None, "演示·市领导"),
    DemoAccount("inspector", "inspector", None, "演示·督查组"),
    DemoAccount("hbj", "unit", "hbj", "演示·市环保局"),
    # The demo's monitoring data are Zhengzhou's: 金水区 has three of its national stations.
    DemoAccount("jinshui", "township", "410105", "演示·金水区"),
    # A township of the plan (新密市米村镇) with its whole day: its planned station (no data yet:
    # the demo's data are Zhengzhou's), its tasks and reports (one came late and led to a talk,
    # two of the last month are owed), and an overdue inspection case in its area.
    DemoAccount("micun", "township", "410183101", "演示·米村镇"),
)


def create_demo_accounts(session: Session) -> list[str]:
    """Create the demo accounts that do not exist yet (audit-logged as actor ``demo``)."""
    existing = set(session.scalars(select(User.username)))
    created = []
    for account in DEMO_ACCOUNTS:
        if account.username in existing:
            continue
        add_user(
            session,
            username=account.username,
            role=account.role,
            scope=account.scope,
            password=DEMO_PASSWORD,
            actor="demo",
            display_name=account.display_name,
        )
        created.append(account.username)
    return created


def active_demo_accounts(session: Session) -> list[str]:
    names = {account.username for account in DEMO_ACCOUNTS}
    return sorted(
        user.username
        for user in session.scalars(select(User).where(User.active, User.username.in_(names)))
        if user.display_name.startswith(DEMO_MARK)
    )
