"""The languages of the platform's texts: gettext message catalogues, one per language.

Every text people read on a page lives once in the source, in English, as a gettext msgid
(``_("Station")`` in a template, ``_("Station")`` or ``N_("Station")`` in Python), and once per
language in ``lantian/locale/<locale>/LC_MESSAGES/messages.po``: ``zh_CN`` holds the Chinese,
``en`` is the source language (an empty msgstr means the msgid itself). Adding a language is
adding a catalogue folder: it is found here and offered by the language switch.

The ``.po`` files are compiled when a language is first used (Babel's ``read_po`` → ``write_mo``
in memory, once per process): there is no compiled ``.mo`` to commit, to ship or to forget to
rebuild, and a wheel carries the ``.po`` files as package data. Reading both catalogues takes a
few tens of milliseconds.

The language of the work being done is a context variable: the web layer sets it per request
(the page cookie, or ``Accept-Language`` for the API), so code below a route can say
``gettext("…")`` without passing the request down. Chinese is the default.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh"
#: The language the msgids are written in; its catalogue may leave msgstrs empty.
SOURCE_LOCALE = "en"


@dataclass(frozen=True)
class Language:
    code: str  # what the cookie and the switch's URL carry: "zh", "en"
    locale: str  # the catalogue's folder: "zh_CN", "en"
    tag: str  # the HTML/BCP 47 tag: "zh-CN", "en"
    name: str  # the language's name in itself: "中文", "English"


@cache
def languages() -> dict[str, Language]:
    """Every language with a catalogue, by code: the default first, then by code."""
    locales = sorted(
        path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    )
    primary = [Locale.parse(name).language for name in locales]
    found: dict[str, Language] = {}
    for name, language in zip(locales, primary, strict=True):
        parsed = Locale.parse(name)
        # The short code ("zh") while only one catalogue speaks the language, else the full tag.
        code = language if primary.count(language) == 1 else name.replace("_", "-").lower()
        found[code] = Language(
            code=code,
            locale=name,
            tag=name.replace("_", "-"),
            name=parsed.language_name or name,
        )
    ordered = sorted(found.values(), key=lambda lang: (lang.code != DEFAULT_LANGUAGE, lang.code))
    return {lang.code: lang for lang in ordered}


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``code`` (unknown codes get the default language)."""
    language = languages().get(code) or languages()[DEFAULT_LANGUAGE]
    path = LOCALE_DIR / language.locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language.locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


_current: ContextVar[str] = ContextVar("lantian_language", default=DEFAULT_LANGUAGE)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Run a block in the language ``code`` (the web layer wraps each request in it)."""
    token = _current.set(code if code in languages() else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, *, language: str | None = None) -> str:
    """``message`` (an English msgid) in the current language, or in ``language``."""
    return translations(language or _current.get()).gettext(message)


def pgettext(context: str, message: str, *, language: str | None = None) -> str:
    """Like :func:`gettext` for a msgid that stands for different texts in different places."""
    return translations(language or _current.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a text for the catalogues where it is defined (a label table) and translate it where
    it is shown: ``pybabel extract`` finds it, the value stays the English msgid."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The best language we have for an ``Accept-Language`` header (RFC 9110), else the default.

    ``en-US,en;q=0.9`` → ``en``; ``zh-CN`` or ``zh`` → ``zh``; ``fr`` → ``zh``.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, index, tag.strip().lower().replace("_", "-")))
    available = languages()
    by_tag = {lang.tag.lower(): lang.code for lang in available.values()}
    by_primary: dict[str, str] = {}
    for lang in available.values():
        by_primary.setdefault(lang.tag.lower().split("-")[0], lang.code)
    for _quality, _index, tag in sorted(wanted):
        if tag == "*":
            return DEFAULT_LANGUAGE
        if tag in by_tag:
            return by_tag[tag]
        if tag in available:
            return tag
        if tag.split("-")[0] in by_primary:
            return by_primary[tag.split("-")[0]]
    return DEFAULT_LANGUAGE
