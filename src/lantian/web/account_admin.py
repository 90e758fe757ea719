"""Account pages: a person changes their own password; an administrator adds, disables, enables
and resets accounts. Every change goes through :mod:`lantian.auth.service` and so to the audit
log; every form is CSRF-protected; a temporary password is shown once and never stored in clear.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lantian import clock
from lantian.auth import service as accounts
from lantian.auth.models import ROLES, SCOPED_ROLES
from lantian.auth.passwords import temporary_password
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.auth.sessions import COOKIE_NAME, cookie_attributes
from lantian.db.engine import transaction
from lantian.errors import ServiceError
from lantian.language import gettext, pgettext
from lantian.web import i18n
from lantian.web.access import (
    Forbidden,
    require_account,
    require_csrf,
    require_signed_in,
    safe_next,
    signer,
)
from lantian.web.rendering import flash, render

router = APIRouter(include_in_schema=False)


def role_names() -> dict[str, str]:
    """Each role's name in the request's language (the Chinese is in zh_CN's messages.po)."""
    return {
        "administrator": pgettext("role", "Administrator"),
        "campaign_office": pgettext("role", "Campaign office"),
        "unit": pgettext("role", "Unit (department)"),
        "township": pgettext("role", "Township"),
        "inspector": pgettext("role", "Inspector"),
        "leader": pgettext("role", "Leader"),
        "device": pgettext("role", "Device"),
    }


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    response: HTMLResponse = render(request, template, context, status_code)
    return response


def _account_page(
    request: Request, who: Principal, message: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        user = accounts.get_user(session, who.username or "")
        context = {
            "account": user,
            "role_name": role_names().get(user.role, user.role),
            "message": message,
            "error": error,
            "next": safe_next(request.query_params.get("next")),
        }
        return _render(request, "account.html", context, status)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, who: Principal = Depends(require_signed_in)) -> HTMLResponse:
    """My account: who I am, my role and scope, and the password form."""
    return _account_page(request, who)


class ChangePasswordForm(BaseModel):
    """The fields of the form posted to ``change_password`` (the CSRF token is checked apart)."""

    current_password: str = ""
    new_password: str = ""
    repeat_password: str = ""
    next: str = "/office"


@router.post("/account/password", dependencies=[Depends(require_csrf)], response_class=HTMLResponse)
def change_password(
    request: Request,
    form: Annotated[ChangePasswordForm, Form()],
    who: Principal = Depends(require_signed_in),
) -> Response:
    if form.new_password != form.repeat_password:
        return _account_page(
            request, who, error="两次输入的新密码不一致 / the two new passwords differ", status=422
        )
    try:
        with transaction(request.app.state.sessions) as session:
            user = accounts.change_password(
                session, who.username or "", form.current_password, form.new_password
            )
            token = accounts.start_session(signer(request), user)
    except ServiceError as error:
        return _account_page(request, who, error=str(error), status=error.http_status)
    # The change ended every session, this one too: continue in a new one.
    response = RedirectResponse(safe_next(form.next), status_code=303)
    response.set_cookie(
        COOKIE_NAME, token, **cookie_attributes(https=request.url.scheme == "https")
    )
    return response


# --- administration ----------------------------------------------------------------------------


def _require_account_reader(who: Principal = Depends(require_account)) -> Principal:
    if not can(who, Action.READ, resource("account")):
        raise Forbidden("无权查看账户 / you may not see the accounts")
    return who


def _users_page(
    request: Request,
    who: Principal,
    *,
    shown_password: tuple[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        users = accounts.list_users(session)
        context = {
            "users": users,
            "roles": ROLES,
            "role_names": role_names(),
            "scoped_roles": SCOPED_ROLES,
            "may_write": can(who, Action.WRITE, resource("account")),
            "shown_password": shown_password,
            "error": i18n.localize(error, i18n.language_of(request)),
            "now": clock.now(),
        }
        return _render(request, "users.html", context, status)


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, who: Principal = Depends(_require_account_reader)) -> HTMLResponse:
    """The accounts: role, scope, state, lock; an administrator's forms beside them."""
    return _users_page(request, who)


def _require_account_writer(who: Principal = Depends(require_account)) -> Principal:
    if not can(who, Action.WRITE, resource("account")):
        raise Forbidden("只有管理员可以管理账户 / only an administrator manages accounts")
    return who


class AddUserForm(BaseModel):
    """The fields of the form posted to ``add_user`` (the CSRF token is checked apart)."""

    username: str = ""
    display_name: str = ""
    role: str = ""
    scope: str = ""


@router.post("/admin/users", dependencies=[Depends(require_csrf)], response_class=HTMLResponse)
def add_user(
    request: Request,
    form: Annotated[AddUserForm, Form()],
    who: Principal = Depends(_require_account_writer),
) -> HTMLResponse:
    password = temporary_password()
    try:
        with transaction(request.app.state.sessions) as session:
            user = accounts.add_user(
                session,
                username=form.username,
                role=form.role,
                password=password,
                actor=who.username or "",
                scope=form.scope or None,
                display_name=form.display_name or None,
                must_change_password=True,
            )
            name = user.username
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    return _users_page(request, who, shown_password=(name, password))


class ResetPasswordForm(BaseModel):
    """The fields of the form posted to ``reset_password`` (the CSRF token is checked apart)."""

    reason: str = ""


@router.post(
    "/admin/users/{username}/reset",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def reset_password(
    request: Request,
    form: Annotated[ResetPasswordForm, Form()],
    username: str,
    who: Principal = Depends(_require_account_writer),
) -> HTMLResponse:
    try:
        with transaction(request.app.state.sessions) as session:
            password = accounts.reset_password(
                session, username, actor=who.username or "", reason=form.reason or None
            )
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    return _users_page(request, who, shown_password=(username, password))


class SetActiveForm(BaseModel):
    """The fields of the form posted to ``set_active`` (the CSRF token is checked apart)."""

    active: str = ""
    reason: str = ""


@router.post(
    "/admin/users/{username}/active",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def set_active(
    request: Request,
    form: Annotated[SetActiveForm, Form()],
    username: str,
    who: Principal = Depends(_require_account_writer),
) -> Response:
    if username == who.username and form.active != "1":
        return _users_page(
            request,
            who,
            error="不能停用自己的账户 / you cannot disable your own account",
            status=422,
        )
    try:
        with transaction(request.app.state.sessions) as session:
            accounts.set_active(
                session,
                username,
                form.active == "1",
                actor=who.username or "",
                reason=form.reason or None,
            )
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    return RedirectResponse("/admin/users", status_code=303)


class UnlockForm(BaseModel):
    """The fields of the form posted to ``unlock`` (the CSRF token is checked apart)."""

    reason: str = ""


@router.post(
    "/admin/users/{username}/unlock",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def unlock(
    request: Request,
    form: Annotated[UnlockForm, Form()],
    username: str,
    who: Principal = Depends(_require_account_writer),
) -> Response:
    """End an account's sign-in lock now (audited as ``user.unlock``)."""
    try:
        with transaction(request.app.state.sessions) as session:
            user = accounts.unlock(
                session, username, actor=who.username or "", reason=form.reason or None
            )
            name = user.username
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    flash(request, gettext("Account %(name)s unlocked") % {"name": name})
    return RedirectResponse("/admin/users", status_code=303)


class EndSessionsForm(BaseModel):
    """The fields of the form posted to ``end_sessions`` (the CSRF token is checked apart)."""

    reason: str = ""


@router.post(
    "/admin/users/{username}/sessions",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def end_sessions(
    request: Request,
    form: Annotated[EndSessionsForm, Form()],
    username: str,
    who: Principal = Depends(_require_account_writer),
) -> Response:
    """End every session of an account now (audited as ``user.sessions_end``)."""
    try:
        with transaction(request.app.state.sessions) as session:
            user = accounts.end_sessions(
                session, username, actor=who.username or "", reason=form.reason or None
            )
            name = user.username
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    flash(request, gettext("Every session of %(name)s ended") % {"name": name})
    return RedirectResponse("/admin/users", status_code=303)


class SetRoleForm(BaseModel):
    """The fields of the form posted to ``set_role`` (the CSRF token is checked apart)."""

    role: str = ""
    scope: str = ""
    reason: str = ""


@router.post(
    "/admin/users/{username}/role",
    dependencies=[Depends(require_csrf)],
    response_class=HTMLResponse,
)
def set_role(
    request: Request,
    form: Annotated[SetRoleForm, Form()],
    username: str,
    who: Principal = Depends(_require_account_writer),
) -> Response:
    """Change an account's role or scope; its sessions end (audited as ``user.role_change``)."""
    if username == who.username:
        return _users_page(
            request,
            who,
            error="不能更改自己的角色 / you cannot change your own role",
            status=422,
        )
    try:
        with transaction(request.app.state.sessions) as session:
            accounts.set_role(
                session,
                username,
                form.role,
                form.scope or None,
                actor=who.username or "",
                reason=form.reason or None,
            )
    except ServiceError as error:
        return _users_page(request, who, error=str(error), status=error.http_status)
    return RedirectResponse("/admin/users", status_code=303)
