"""accounts, API tokens, the hash-chained audit log and its anchor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

The audit log is append-only at the database too: triggers refuse UPDATE and DELETE (and TRUNCATE
on PostgreSQL), so that no code path of lantian can alter history by mistake. Someone with the
rights to drop a trigger can still edit rows; the hash chain (lantian.auth.audit) detects that.
A later migration that rebuilds ``audit_log`` on SQLite (batch mode copies the table) must create
the triggers again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lantian.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "audit_log is append-only / 审计日志只能追加"

APPEND_ONLY = {
    "postgresql": [
        f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$""",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END",
    ],
}

DROP_APPEND_ONLY = {
    "postgresql": [
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "DROP FUNCTION audit_log_append_only()",
    ],
    "sqlite": [
        "DROP TRIGGER audit_log_no_delete",
        "DROP TRIGGER audit_log_no_update",
    ],
}


def upgrade() -> None:
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "head_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            comment="id of the newest entry",
        ),
        sa.Column(
            "head_hash", sa.String(length=64), nullable=False, comment="hash of the newest entry"
        ),
        sa.Column(
            "entries",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            comment="number of entries written",
        ),
        sa.Column("updated_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_anchor_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "at", lantian.db.base.UtcDateTime(timezone=True), nullable=False, comment="when (UTC)"
        ),
        sa.Column(
            "actor",
            sa.String(length=100),
            nullable=False,
            comment="username, cli:<os user> or system:…",
        ),
        sa.Column(
            "action", sa.String(length=64), nullable=False, comment="e.g. user.add, token.revoke"
        ),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True, comment="state before the change"),
        sa.Column("after", sa.JSON(), nullable=True, comment="state after the change"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "previous_hash",
            sa.String(length=64),
            nullable=False,
            comment="hash of the entry before",
        ),
        sa.Column("hash", sa.String(length=64), nullable=False, comment="SHA-256, hex"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "username", sa.String(length=64), nullable=False, comment="lower case, login name"
        ),
        sa.Column(
            "display_name",
            sa.String(length=100),
            nullable=False,
            comment="显示名, e.g. 张三 (环保局)",
        ),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column(
            "scope",
            sa.String(length=32),
            nullable=True,
            comment="unit code (unit role) or area code (township role)",
        ),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=False,
            comment="argon2id, PHC string format",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column(
            "failed_logins",
            sa.Integer(),
            nullable=False,
            comment="consecutive failed logins since the last success or lock",
        ),
        sa.Column("locked_until", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "password_changed_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "session_version",
            sa.Integer(),
            nullable=False,
            comment="bumped on logout and password change: older sessions die",
        ),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('administrator', 'campaign_office', 'unit', 'township', 'inspector', 'leader', 'device')",
            name=op.f("ck_users_role_known"),
        ),
        sa.CheckConstraint(
            "role NOT IN ('unit', 'township') OR scope IS NOT NULL",
            name=op.f("ck_users_scope_required"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False, comment="what the token is for"),
        sa.Column(
            "prefix", sa.String(length=16), nullable=False, comment="public part, for lookup"
        ),
        sa.Column(
            "secret_sha256",
            sa.String(length=64),
            nullable=False,
            comment="hex SHA-256 of the whole token",
        ),
        sa.Column("last_used_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", lantian.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lantian.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_tokens_prefix")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("audit_log")
    op.drop_table("audit_anchor")
