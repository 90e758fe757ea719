"""The audit log's scheduled job: verify the whole hash chain every night."""

from __future__ import annotations

from datetime import timedelta

from lantian.auth import audit
from lantian.scheduler.registry import Job, JobContext, register
from lantian.scheduler.schedule import DailyAt


class AuditChainBroken(RuntimeError):
    """The nightly verification found a break: the run fails, and the jobs page shows it."""


def verify_audit_chain(context: JobContext) -> str:
    """Recompute the chain as ``lantian audit verify`` does; a break fails the run."""
    with context.sessions() as session:
        result = audit.verify(session)
    if result.broken is not None:
        where = f"entry {result.broken.entry_id}" if result.broken.entry_id else "the anchor"
        raise AuditChainBroken(
            f"审计链已被破坏 / chain broken at {where} ({result.broken.kind}): "
            f"{result.broken.detail}"
        )
    return (
        f"审计链完整，{result.entries} 条，链头 {result.head_id}:{result.head_hash} / chain "
        f"intact, {result.entries} entries"
    )


register(
    Job(
        name="audit.verify",
        schedule=DailyAt(2, 30),
        run=verify_audit_chain,
        description_zh="每晚校验审计日志的哈希链（lantian audit verify）",
        description_en="Verify the audit log's hash chain every night (lantian audit verify)",
        lease=timedelta(hours=2),
    )
)
