"""The language of a request: pages by the cookie the switch sets, the API by ``Accept-Language``.

Page texts come from the message catalogues (:mod:`lantian.language`): templates write
``{{ _("Station") }}`` (Jinja2's i18n extension; ``pgettext("case", "Source")`` where one English
text stands for two Chinese ones), Python page code ``gettext("…")`` or ``N_("…")`` in label
tables. Chinese (zh-CN) is the default; the switch in the top bar stores the language's code in a
cookie for a year. ``t(zh, en)`` remains only for texts that arrive in both languages as data
(plan files, the AQI standard's categories and advice), which no catalogue can hold.

Messages written "中文 / English" in one string (the services' errors, flash messages) are split
by :func:`localize`: a page shows the half in its language (Chinese by default), the API the half
its client asked for with ``Accept-Language`` (both, as written, when it did not say).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from jinja2 import Environment, pass_context
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Receive, Scope, Send

from lantian.language import (
    DEFAULT_LANGUAGE,
    gettext,
    languages,
    negotiate,
    pgettext,
    speaking,
    translations,
)
from lantian.web.access import safe_next

LANGUAGE_COOKIE = "lantian_lang"

router = APIRouter(include_in_schema=False)


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def chosen_language(request: Request) -> str | None:
    """The language the visitor or client chose, or ``None`` when they did not say."""
    if _is_api(request.url.path):
        header = request.headers.get("accept-language")
        return negotiate(header) if header else None
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in languages() else None


def language_of(request: Request) -> str:
    """The request's language code (``zh``, ``en``, …): the choice, else Chinese."""
    return chosen_language(request) or DEFAULT_LANGUAGE


def language_context(request: Request) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "lang": lang,
        "html_lang": languages()[lang].tag,
        "current_path": request.url.path,
        "other_languages": [other for other in languages().values() if other.code != lang],
    }


# A message "中文 / English": the Chinese half holds a CJK character, the English half none.
_CJK = re.compile(r"[\u3400-\u9fff\uff08-\uff1f\u3001-\u3011]")
_PREFIX = re.compile(r"^([^\u3400-\u9fff]*?:\s)")


def localize(message: str, language: str | None) -> str:
    """The half of a bilingual "中文 / English" message in ``language`` (``None``: both, as
    written). The Chinese half is used for every language but English; a field prefix such as
    ``as_of=x: `` is kept on both halves. A message that is not of that shape is returned whole."""
    if language is None:
        return message
    for match in re.finditer(r"\s?/\s", message):
        zh, en = message[: match.start()], message[match.end() :]
        if _CJK.search(zh) and not _CJK.search(en):
            if language != "en":
                return zh.rstrip()
            prefix = _PREFIX.match(zh)
            return (prefix.group(1) if prefix else "") + en.strip()
    return message


def request_localize(request: Request, message: str) -> str:
    """:func:`localize` for ``request``: a page in its language (Chinese unless the visitor chose
    another), the API in the client's ``Accept-Language`` (both halves when it sent none)."""
    if _is_api(request.url.path):
        return localize(message, chosen_language(request))
    return localize(message, language_of(request))


class RequestLanguage:
    """ASGI middleware: each request runs :func:`lantian.language.speaking` its language, so
    ``gettext`` below a route, in a template or in an exception handler speaks it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with speaking(language_of(Request(scope))):
            await self.app(scope, receive, send)


@pass_context
def _template_gettext(context: Any, message: str) -> str:
    return gettext(message, language=context.get("lang"))


@pass_context
def _template_ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang") or DEFAULT_LANGUAGE).ngettext(singular, plural, n)


@pass_context
def _template_pgettext(context: Any, msgctxt: str, message: str) -> str:
    return pgettext(msgctxt, message, language=context.get("lang"))


@pass_context
def _template_npgettext(context: Any, msgctxt: str, singular: str, plural: str, n: int) -> str:
    lang = context.get("lang") or DEFAULT_LANGUAGE
    return translations(lang).npgettext(msgctxt, singular, plural, n)


@pass_context
def translate_data(context: Any, zh: str, en: str) -> str:
    """A text that comes in both languages as data (``t``): Chinese, else English."""
    return zh if context.get("lang", DEFAULT_LANGUAGE) == "zh" else en


@pass_context
def translate_both(context: Any, message: str) -> Markup:
    """A catalogue text in the page's language with its other reading beside it, secondary: for
    labels that must read in either language, such as pollutant names beside numbers (``tt``)."""
    lang = context.get("lang") or DEFAULT_LANGUAGE
    other = next((code for code in languages() if code != lang), lang)
    return Markup('{} <span class="alt" lang="{}">{}</span>').format(
        escape(gettext(message, language=lang)),
        languages()[other].tag,
        escape(gettext(message, language=other)),
    )


@pass_context
def localize_filter(context: Any, message: str) -> str:
    """``{{ message | localize }}``: a "中文 / English" message in the page's language only."""
    return localize(message, context.get("lang") or DEFAULT_LANGUAGE)


def install(env: Environment) -> None:
    """Give a Jinja2 environment the catalogue functions, each speaking its page's language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext,
        _template_ngettext,
        newstyle=False,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
    env.globals["t"] = translate_data
    env.globals["tt"] = translate_both
    env.filters["localize"] = localize_filter


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    """Store the language choice and go back to the page it was made on."""
    target = safe_next(next) if next else "/"
    response = RedirectResponse(target, status_code=303)
    if code in languages():
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response
