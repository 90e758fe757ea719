"""Deliver a decision's notice by e-mail (SMTP) and webhook, and record every attempt.

Settings come from the environment (prefix ``LANTIAN_WARNING_``), so a city configures its own mail
server and receivers without touching the plan:

``LANTIAN_WARNING_SMTP_HOST``, ``..._SMTP_PORT`` (25), ``..._SMTP_STARTTLS`` (false),
``..._SMTP_USER``, ``..._SMTP_PASSWORD``, ``..._MAIL_FROM``, ``..._MAIL_TO`` (JSON list or
comma-separated), ``..._WEBHOOK_URLS`` (same), ``..._TIMEOUT_S`` (10).

Delivery runs after the decision is committed: a failure is recorded (``warning_notification``)
and shown, never undoes the decision.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.orm import Session

from lantian import clock
from lantian.warnings.models import WarningDecisionRow, WarningNotificationRow


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LANTIAN_WARNING_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "lantian@localhost"
    mail_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    timeout_s: float = 10.0

    @field_validator("mail_to", "webhook_urls", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value


@dataclass(frozen=True)
class Delivery:
    channel: str
    target: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Recipient:
    """Where a notice goes: an e-mail address (through ``smtp_host``) or a webhook."""

    channel: str  # "email" | "webhook"
    target: str  # the address, or the webhook URL without its query (which may hold a token)
    #: why a notice cannot reach it as configured ("" when nothing stands in the way)
    problem: str = ""


def shown_url(url: str) -> str:
    """A webhook URL as pages show it: scheme, host and path, never the query or credentials."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def recipients(settings: NotifySettings) -> list[Recipient]:
    """Every recipient the settings name, each with what would stop its delivery."""
    mail_problem = "" if settings.smtp_host else "no-smtp"
    found = [Recipient("email", address, mail_problem) for address in settings.mail_to]
    found += [Recipient("webhook", shown_url(url)) for url in settings.webhook_urls]
    return found


def payload(decision: WarningDecisionRow) -> dict[str, Any]:
    """The webhook body: the decision in machine form plus the notice text."""
    return {
        "event": f"warning.{decision.action}",
        "decision_id": decision.id,
        "episode_id": decision.episode_id,
        "from_level": decision.from_level,
        "to_level": decision.to_level,
        "areas": decision.areas,
        "reason": decision.reason,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at.isoformat(),
        "effective_at": decision.effective_at.isoformat(),
        "notice_text": decision.notice_text,
    }


def _subject(notice: str) -> str:
    return next((line.strip() for line in notice.splitlines() if line.strip()), "预警通知")


def send_email(settings: NotifySettings, notice: str, recipients: Sequence[str]) -> Delivery:
    target = ", ".join(recipients)
    if not settings.smtp_host:
        return Delivery("email", target, False, "未配置SMTP / no SMTP host configured")
    message = EmailMessage()
    message["Subject"] = _subject(notice)
    message["From"] = formataddr(("蓝天平台 lantian", settings.mail_from))
    message["To"] = target
    message["Message-ID"] = make_msgid(domain="lantian.local")
    message.set_content(notice, charset="utf-8")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            refused = smtp.send_message(message, to_addrs=list(recipients))
    except (OSError, smtplib.SMTPException) as error:
        return Delivery("email", target, False, f"{type(error).__name__}: {error}")
    if refused:
        return Delivery("email", target, False, f"refused: {sorted(refused)}")
    return Delivery("email", target, True, "sent")


def post_webhook(settings: NotifySettings, url: str, body: dict[str, Any]) -> Delivery:
    try:
        response = httpx.post(url, json=body, timeout=settings.timeout_s)
    except httpx.HTTPError as error:
        return Delivery("webhook", url, False, f"{type(error).__name__}: {error}")
    return Delivery("webhook", url, response.is_success, f"HTTP {response.status_code}")


def deliver(
    session: Session, decision: WarningDecisionRow, settings: NotifySettings
) -> list[Delivery]:
    """Send the notice to every configured channel and record each attempt."""
    results: list[Delivery] = []
    if settings.mail_to:
        results.append(send_email(settings, decision.notice_text, settings.mail_to))
    body = payload(decision)
    for url in settings.webhook_urls:
        results.append(post_webhook(settings, url, body))
    now = clock.now()
    for result in results:
        session.add(
            WarningNotificationRow(
                decision_id=decision.id,
                channel=result.channel,
                target=result.target[:500],
                ok=result.ok,
                detail=result.detail,
                attempted_at=now,
            )
        )
    session.flush()
    return results
