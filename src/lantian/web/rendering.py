"""The one render helper of the pages, flash messages carried in the session, and forms that keep
what people typed.

A page answers with :func:`render` (the template, its context, a status); a form post that
redirects says what happened with :func:`flash`, which the next page shows once — the message rides
in the signed session cookie (Starlette's ``SessionMiddleware``), never in the URL. A post that
succeeds answers :func:`done` (flash and 303); one that is refused shows its page again with
:func:`filled_form` (every value as typed, every problem beside its field) and the error's status;
the macros of ``_form.html`` draw the problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lantian.errors import FieldProblem, ServiceError

FLASH_KEY = "flash"
FlashKind = Literal["ok", "error"]


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context`` (and what every page knows: who, CSRF, language,
    flashes — added by the app's context processor)."""
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status
    )
    return response


def flash(request: Request, message: str, kind: FlashKind = "ok") -> None:
    """Keep ``message`` for the next page this browser opens."""
    if "session" not in request.scope:  # an app without the session middleware (never in ours)
        return
    request.session.setdefault(FLASH_KEY, []).append({"kind": kind, "message": message})


def take_flashes(request: Request) -> list[dict[str, str]]:
    """The messages kept for this page, removed from the session (each is shown once)."""
    if "session" not in request.scope:
        return []
    found: list[dict[str, str]] = request.session.pop(FLASH_KEY, [])
    return found


# --- forms that keep what people typed ---------------------------------------------------------

#: Form fields never echoed back into a page (the CSRF token is the page's own).
_NOT_KEPT = frozenset({"csrf"})


@dataclass(frozen=True)
class FilledForm:
    """A posted form as the person filled it, with the refusal's problems by field.

    A page refused with 422 shows the form again from this: every text, number and choice as
    typed (:meth:`value`, :meth:`chosen`), each problem beside its field (:meth:`errors_for`),
    problems of no field of the form at its top (:attr:`general`), and, when files were chosen,
    a note that they must be chosen again (a browser cannot be told to re-select a file).
    """

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    errors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    general: tuple[str, ...] = ()
    files_dropped: tuple[str, ...] = ()

    def value(self, name: str, default: str = "") -> str:
        """The text last posted in ``name`` (``default`` before any post)."""
        found = self.values.get(name)
        return found[0] if found else default

    def chosen(self, name: str, option: str, default: bool = False) -> bool:
        """Whether ``option`` was chosen in ``name`` (a select, radio or checkbox)."""
        if not self.values:
            return default
        return option in self.values.get(name, ())

    def errors_for(self, name: str) -> tuple[str, ...]:
        return self.errors.get(name, ())

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.general)


#: The form as first shown (nothing posted, nothing refused).
BLANK_FORM = FilledForm()


def filled_form(
    request: Request,
    posted: Mapping[str, Any] | Any,
    error: ServiceError | None,
    fields: Iterable[str],
    *,
    prefix: str = "",
) -> FilledForm:
    """``posted`` (the request's form data) kept as typed, and ``error``'s problems by field.

    ``fields`` are the names the page shows a problem beside; a problem naming another field, or
    none, goes to the top. An :class:`~lantian.errors.Invalid` carrying
    :class:`~lantian.errors.FieldProblem`\\ s puts each beside its own field; else its ``field``
    and message. ``prefix`` keeps only the posted names that start with it (one row of a
    many-row form), without it. Messages are in the page's language.
    """
    from lantian.web.i18n import request_localize

    items = posted.multi_items() if hasattr(posted, "multi_items") else list(posted.items())
    values: dict[str, list[str]] = {}
    dropped: list[str] = []
    for name, value in items:
        if name in _NOT_KEPT or not name.startswith(prefix):
            continue
        name = name.removeprefix(prefix)
        if isinstance(value, list | tuple):  # a model's list field (checkboxes)
            values.setdefault(name, []).extend(str(item) for item in value)
        elif isinstance(value, str):
            values.setdefault(name, []).append(value)
        elif getattr(value, "filename", None):
            dropped.append(str(value.filename))
    known = set(fields)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    problems: list[tuple[str | None, str]] = []
    if error is not None:
        field_problems = [p for p in error.problems if isinstance(p, FieldProblem)]
        if field_problems:
            problems = [(p.field, p.message) for p in field_problems]
        else:
            problems = [(error.field, error.message)]
    for where, message in problems:
        text = request_localize(request, message)
        if where in known:
            errors.setdefault(where, []).append(text)
        else:
            general.append(text)
    return FilledForm(
        values={name: tuple(found) for name, found in values.items()},
        errors={name: tuple(found) for name, found in errors.items()},
        general=tuple(general),
        files_dropped=tuple(dropped),
    )


def done(request: Request, url: str, message: str) -> RedirectResponse:
    """A write that succeeded: say so on the next page and redirect there (POST-redirect-GET,
    so that a reload shows the page again instead of posting twice)."""
    flash(request, message)
    return RedirectResponse(url, status_code=303)
