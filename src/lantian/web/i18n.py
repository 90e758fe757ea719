"""Chinese first, English on request: the page language, chosen by a cookie the switch sets.

Every text of a page is written in both languages where it is used, ``{{ t("站点", "Station") }}``,
so that a page and its translation never drift apart in separate catalogues. Chinese (zh-CN) is
the default; the switch in the top bar stores ``en`` or ``zh`` in a cookie for a year.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from jinja2 import pass_context
from markupsafe import Markup, escape

from lantian.web.access import safe_next

LANGUAGE_COOKIE = "lantian_lang"
LANGUAGES = {"zh": "zh-CN", "en": "en"}
DEFAULT_LANGUAGE = "zh"

router = APIRouter(include_in_schema=False)


def language_of(request: Request) -> str:
    """``zh`` or ``en``: the cookie's choice, else Chinese."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def language_context(request: Request) -> dict[str, Any]:
    lang = language_of(request)
    return {"lang": lang, "html_lang": LANGUAGES[lang], "current_path": request.url.path}


@pass_context
def translate(context: Any, zh: str, en: str) -> str:
    """The text in the page's language (a template global, ``t``)."""
    return en if context.get("lang") == "en" else zh


@pass_context
def translate_both(context: Any, zh: str, en: str) -> Markup:
    """Both texts, the other language secondary: for labels that must read in either language,
    such as the names of pollutants and levels beside numbers (``tt``)."""
    first, second = (en, zh) if context.get("lang") == "en" else (zh, en)
    other = "zh-CN" if context.get("lang") == "en" else "en"
    return Markup('{} <span class="alt" lang="{}">{}</span>').format(
        escape(first), other, escape(second)
    )


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    """Store the language choice and go back to the page it was made on."""
    target = safe_next(next) if next else "/"
    response = RedirectResponse(target, status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response
