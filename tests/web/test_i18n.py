"""Page texts by catalogue: Chinese by default, English after the switch, the API by
``Accept-Language``; every message the sources use is translated, and a new language is a new
catalogue folder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian import language
from lantian.auth import passwords
from lantian.auth.service import add_user
from lantian.config import Settings
from lantian.db.engine import session_factory, transaction
from lantian.web.app import create_app
from lantian.web.i18n import localize

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "灰霾退散-2017-blue"
Key = tuple[str | None, str]


def used_messages() -> dict[Key, set[str]]:
    """What ``pybabel extract -F babel.cfg -k tt`` finds in the sources."""
    with (REPO_ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[Key, set[str]] = {}
    for filename, _line, message, _comments, context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, "tt": None}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), set()).add(filename)
    return found


def catalogue(locale: str) -> dict[Key, str]:
    path = language.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    problems = [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
    assert not problems, f"{locale}: placeholders differ from the msgid: {problems}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{locale}: fuzzy entries are not used: {fuzzy}"
    return {(m.context, str(m.id)): str(m.string or "") for m in catalog if m.id}


def test_every_used_message_is_translated_in_every_catalogue_and_none_is_stale() -> None:
    used = used_messages()
    assert len(used) > 300  # the extraction really read the templates
    assert (None, "Station") in used and ("role", "Leader") in used
    for locale in ("zh_CN", "en"):
        entries = catalogue(locale)
        missing = sorted(k[1] for k in used.keys() - entries.keys())
        stale = sorted(k[1] for k in entries.keys() - used.keys())
        assert not missing, f"{locale} lacks {missing} (run /work/i18n_convert.py)"
        assert not stale, f"{locale} holds messages no source uses: {stale}"
        if locale != language.SOURCE_LOCALE:  # English is the msgid: empty means itself
            untranslated = sorted(k[1] for k, text in entries.items() if not text)
            assert not untranslated, f"{locale}: untranslated {untranslated}"
    assert catalogue("zh_CN")[(None, "Station")] == "站点"


def test_no_template_writes_a_page_text_twice_in_place() -> None:
    """``t("中文", "English")`` belongs in the catalogues; ``t`` is left for data pairs."""
    literal_pair = re.compile(r"""(?<![\w.])tt?\(\s*(["'])[^"']*\1\s*,\s*(["'])[^"']*\2\s*\)""")
    offenders = [
        f"{path.name}: {match.group(0)}"
        for path in (REPO_ROOT / "src/lantian").rglob("*.html")
        for match in literal_pair.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with passwords.using_hasher(
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    ):
        with transaction(session_factory(db_engine)) as session:
            add_user(
                session, username="office", role="campaign_office", password=PASSWORD, actor="test"
            )
        yield TestClient(create_app(Settings(data_dir=tmp_path), db_engine))


def sign_in(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]*)"', page)
    assert token
    response = client.post(
        "/login",
        data={"username": "office", "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_pages_are_chinese_by_default_and_english_after_the_switch(client: TestClient) -> None:
    public = client.get("/").text
    assert '<html lang="zh-CN">' in public
    assert ">实时发布<" in public and ">Real-time<" not in public
    login = client.get("/login").text
    assert "账户由管理员开设" in login and "Accounts are created by an administrator" not in login
    assert 'id="lang-switch" href="/lang/en?next=/login"' in login and ">English</a>" in login
    sign_in(client)
    office = client.get("/office").text
    assert "攻坚办工作台" in office and ">退出<" in office and "Sign out" not in office
    assert ">攻坚办<" in client.get("/account").text
    missing = client.get("/stations/NOPE").text  # no choice made: the page is Chinese, once
    assert "未找到" in missing and "站点 NOPE 不存在" in missing and "no station" not in missing

    switched = client.get("/lang/en?next=/office", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/office"
    office = client.get("/office").text
    assert '<html lang="en">' in office
    assert "Office dashboard" in office and ">Sign out<" in office and "攻坚办工作台" not in office
    assert ">中文</a>" in office  # the switch names the other language in itself
    public = client.get("/").text
    assert ">Real-time<" in public and ">实时发布<" not in public
    account = client.get("/account").text
    assert ">Campaign office<" in account  # a role name, from a label table in Python
    missing = client.get("/stations/NOPE")
    assert missing.status_code == 404
    assert "Not found" in missing.text and "no station NOPE" in missing.text
    assert "未找到" not in missing.text and "站点 NOPE 不存在" not in missing.text

    client.get("/lang/zh?next=/")
    assert ">实时发布<" in client.get("/").text


def test_the_api_speaks_the_accept_language_of_the_request(client: TestClient) -> None:
    bad = {"Authorization": "Bearer nope"}
    both = client.get("/api/v1/me", headers=bad).json()["error"]["message"]
    assert "API 令牌无效" in both and "the API token is unknown" in both  # no choice: as written
    english = client.get("/api/v1/me", headers={**bad, "Accept-Language": "en-GB,en;q=0.8"})
    assert english.status_code == 401
    assert english.json()["error"]["message"] == "the API token is unknown, revoked or expired"
    chinese = client.get("/api/v1/me", headers={**bad, "Accept-Language": "zh-CN"})
    assert chinese.json()["error"]["message"] == "API 令牌无效、已撤销或已过期"
    unknown = client.get("/api/v1/me", headers={**bad, "Accept-Language": "fr"})
    assert unknown.json()["error"]["message"] == "API 令牌无效、已撤销或已过期"  # default Chinese
    # Pages keep the cookie: Accept-Language does not switch them.
    assert ">实时发布<" in client.get("/", headers={"Accept-Language": "en"}).text


def test_negotiation_and_splitting() -> None:
    assert language.negotiate(None) == "zh"
    assert language.negotiate("en-US,en;q=0.9,zh;q=0.8") == "en"
    assert language.negotiate("de, zh-CN;q=0.5, en;q=0.4") == "zh"
    assert language.negotiate("en;q=0, zh-TW") == "zh"
    assert language.negotiate("*") == "zh"
    message = "as_of=2024-13: 日期格式应为 YYYY-MM-DD / use YYYY-MM-DD"
    assert localize(message, "en") == "as_of=2024-13: use YYYY-MM-DD"
    assert localize(message, "zh") == "as_of=2024-13: 日期格式应为 YYYY-MM-DD"
    assert localize(message, None) == message
    assert localize("no Chinese / here", "zh") == "no Chinese / here"


def test_adding_a_language_is_adding_a_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locale_dir = tmp_path / "locale"
    shutil.copytree(language.LOCALE_DIR, locale_dir)
    french = locale_dir / "fr" / "LC_MESSAGES"
    french.mkdir(parents=True)
    (french / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Station"\nmsgstr "Station de mesure"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(language, "LOCALE_DIR", locale_dir)
    language.languages.cache_clear()
    language.translations.cache_clear()
    try:
        assert list(language.languages()) == ["zh", "en", "fr"]
        assert language.languages()["fr"].name == "français"
        assert language.negotiate("fr-CH, en;q=0.5") == "fr"
        assert language.gettext("Station", language="fr") == "Station de mesure"
        assert language.gettext("Station", language="zh") == "站点"
    finally:
        monkeypatch.undo()
        language.languages.cache_clear()
        language.translations.cache_clear()
