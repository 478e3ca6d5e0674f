"""The language of the pages and of the JSON errors: which locale a request gets, and
that sentences, dates and error messages follow it while error codes do not.

The catalogs here are small ones each test writes (``write_catalog``), read in
place of the shipped ones (``catalogs_at``): what is tested is the choice of
language and the separation of the extension's catalogs from a host's, not the
wording of a translation (``test_i18n_catalogs.py`` checks the shipped catalogs).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask.testing import FlaskClient
from flask_login import LoginManager

from flask_secret_keys import SecretKeys
from tests.helpers import (
    API,
    BASE,
    Clock,
    catalogs_at,
    clear_catalog_caches,
    database_url,
    get_user,
    log_in,
    new_db_and_user,
    service_of,
    text,
    write_catalog,
)
from tests.host import add_host_routes, fresh_tables, log_in_host

#: Our sentences in the test's German and French.
GERMAN = {
    "Secret API Keys": "Geheime API-Schlüssel",
    "Settings": "Einstellungen",
    "Create": "Erstellen",
    # The JSON errors' messages (errors.py and api.py).
    "This API is for admin users only.": "Diese API ist nur für Admins.",
    "The secret API key is not valid.": "Der geheime API-Schlüssel ist ungültig.",
    "No such URL in the management API.": "Keine solche URL in der Verwaltungs-API.",
}
FRENCH = {"Secret API Keys": "Clés API secrètes", "Settings": "Paramètres"}

#: A day whose month is written differently in English, German and French.
DAY = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.timezone.utc)
ENGLISH_DATE = "March 5, 2026"
GERMAN_DATE = "5. März 2026"


@pytest.fixture
def catalogs(tmp_path: Path) -> Iterator[Path]:
    """German and French catalogs of a few of our sentences, in place of the shipped ones."""
    root = tmp_path / "translations"
    write_catalog(root, "de", GERMAN)
    write_catalog(root, "fr", FRENCH)
    with catalogs_at(root):
        yield root


@pytest.fixture
def app(catalogs: Path, make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def with_key(app: Flask, clock: Clock) -> None:
    """admin@example.com's key, made on ``DAY``."""
    clock.now = DAY
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "CI runner")


def root_lang(html: str) -> str:
    """The ``lang`` of the pages' root section."""
    match = re.search(r'<section [^>]*id="sk-root"[^>]*>', html)
    assert match, "no #sk-root section"
    lang = re.search(r'\blang="([^"]*)"', match.group(0))
    assert lang, f"#sk-root has no lang: {match.group(0)}"
    return lang.group(1)


def page(client: FlaskClient, accept_language: str | None = None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get(BASE, headers=headers)
    assert response.status_code == 200
    return text(response)


# Without Flask-Babel: SECRET_KEYS_LOCALE, else Accept-Language


def test_the_default_hosts_do_not_use_flask_babel(app: Flask) -> None:
    # What the tests below rely on: the suite's hosts choose without Flask-Babel.
    assert "babel" not in app.extensions


@pytest.mark.usefixtures("with_key")
def test_the_page_follows_accept_language_among_the_shipped_languages(
    admin_client: FlaskClient,
) -> None:
    html = page(admin_client, "de-AT,de;q=0.9,en;q=0.5")

    assert root_lang(html) == "de"
    assert "Geheime API-Schlüssel" in html
    assert GERMAN_DATE in html and ENGLISH_DATE not in html


@pytest.mark.usefixtures("with_key")
def test_a_later_shipped_language_of_accept_language_serves(admin_client: FlaskClient) -> None:
    html = page(admin_client, "it-IT,it;q=0.9,fr;q=0.8")

    assert root_lang(html) == "fr"
    assert "Clés API secrètes" in html
    assert "5 mars 2026" in html


def test_the_region_of_accept_language_chooses_among_catalogs_of_one_language(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    """Catalogs named by language and region (zh_CN, zh_TW): "zh-TW", which is
    zh_Hant_TW with its script, gets Taiwan's; a language alone, the first of them."""
    root = tmp_path / "translations"
    write_catalog(root, "zh_CN", {"Settings": "设置"})
    write_catalog(root, "zh_TW", {"Settings": "設定"})
    with catalogs_at(root):
        app = make_app()
        client = app.test_client()
        log_in(client, "admin@example.com", "admin")

        taiwan = page(client, "zh-TW")
        chinese = page(client, "zh")

    assert root_lang(taiwan) == "zh-Hant-TW"
    assert '<p class="sk-eyebrow">設定</p>' in taiwan
    assert root_lang(chinese) == "zh-Hans-CN"
    assert '<p class="sk-eyebrow">设置</p>' in chinese


def test_a_compiled_catalog_serves_unless_its_po_was_edited_since(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    """An installed package has ``.mo`` files; a checkout whose ``.po`` was edited after
    compiling shows the edit without compiling again."""
    root = tmp_path / "translations"
    po_path = write_catalog(root, "de", {"Settings": "Einstellungen (po)"})
    compiled = Catalog(locale="de", domain="flask_secret_keys")
    compiled.add("Settings", "Einstellungen (mo)")
    with po_path.with_suffix(".mo").open("wb") as out:
        write_mo(out, compiled)
    mo_time = po_path.with_suffix(".mo").stat().st_mtime
    os.utime(po_path, (mo_time - 60, mo_time - 60))
    with catalogs_at(root):
        app = make_app()
        client = app.test_client()
        log_in(client, "admin@example.com", "admin")
        from_mo = page(client, "de")
        os.utime(po_path, (mo_time + 60, mo_time + 60))
        clear_catalog_caches()  # as a restart does
        from_po = page(client, "de")

    assert '<p class="sk-eyebrow">Einstellungen (mo)</p>' in from_mo
    assert '<p class="sk-eyebrow">Einstellungen (po)</p>' in from_po


@pytest.mark.usefixtures("with_key")
@pytest.mark.parametrize("accept_language", [None, "it", "it-IT,*;q=0.5", "de;q=0"])
def test_a_language_we_do_not_ship_gets_english(
    admin_client: FlaskClient, accept_language: str | None
) -> None:
    html = page(admin_client, accept_language)

    assert root_lang(html) == "en"
    assert '<h1 class="sk-page-title">Secret API Keys</h1>' in html
    assert ENGLISH_DATE in html
    assert "Geheime" not in html and "Clés" not in html


def test_secret_keys_locale_wins_over_accept_language(
    catalogs: Path, make_app: Callable[..., Flask], clock: Clock
) -> None:
    clock.now = DAY
    app = make_app(SECRET_KEYS_LOCALE="fr")
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "CI runner")

    for accept_language in ("de", None):
        html = page(client, accept_language)
        assert root_lang(html) == "fr"
        assert "Clés API secrètes" in html and "Geheime" not in html
        assert "5 mars 2026" in html


def test_secret_keys_locale_of_a_region_serves_its_language(
    catalogs: Path,
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SECRET_KEYS_LOCALE="de_CH")
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")

    assert root_lang(page(client, "fr")) == "de"


@pytest.mark.parametrize("value", ["it", "xx", "", 7])
def test_a_language_we_do_not_ship_for_secret_keys_locale_fails_at_init_app(
    catalogs: Path, make_app: Callable[..., Flask], value: Any
) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEYS_LOCALE") as failure:
        make_app(SECRET_KEYS_LOCALE=value)
    # It says what would do: the languages there are.
    assert "de" in str(failure.value) and "fr" in str(failure.value)


# JSON errors: the message in the request's language, the code never


def json_error(client: FlaskClient, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    response = client.get(path, headers=headers)
    assert response.is_json, text(response)
    return response.status_code, response.json  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("who", "path", "headers", "code", "english"),
    [
        (None, "/admin/api/me", {"Authorization": "Bearer sk_nonsense"}, "invalid_api_key",
         "The secret API key is not valid."),
        ("viewer", "/admin/api/me", {}, "admin_required", "This API is for admin users only."),
        ("admin", f"{API}/no/such/url", {}, "not_found", "No such URL in the management API."),
    ],
    ids=["admin-api-invalid-key", "admin-api-not-admin", "management-api-not-found"],
)  # fmt: skip
def test_a_json_error_message_follows_accept_language_and_its_code_does_not(
    app: Flask, who: str | None, path: str, headers: dict[str, str], code: str, english: str
) -> None:
    client = app.test_client()
    if who:
        log_in(client, f"{who}@example.com", who)

    status, in_english = json_error(client, path, **headers)
    status_de, in_german = json_error(client, path, **headers, **{"Accept-Language": "de"})

    assert in_english == {**in_english, "error": code, "message": english}
    assert status_de == status
    assert in_german == {**in_english, "message": GERMAN[english]}


# With Flask-Babel: the host's locale selector decides, for everything


@pytest.fixture
def flask_babel() -> ModuleType:
    """Flask-Babel, which the tests of a host that uses it need (``flask-babel>=4``)."""
    try:
        import flask_babel as module
    except ImportError:
        message = "Flask-Babel is not installed (pip install 'flask-babel>=4')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: under CI these tests must run")
        pytest.skip(f"{message}; under CI these tests run")
    found: ModuleType = module
    return found


def babel_host(
    make_app: Callable[..., Flask], flask_babel: ModuleType, locale: str, **config: Any
) -> FlaskClient:
    """The tests' host with Flask-Babel, whose selector answers ``locale``; an admin's client."""
    app = make_app(**config)
    flask_babel.Babel(app, locale_selector=lambda: locale)
    with app.app_context():
        service_of(app).create(get_user("admin@example.com"), "CI runner")
    client = app.test_client()
    log_in(client, "admin@example.com", "admin")
    return client


def test_with_flask_babel_the_hosts_locale_selector_decides(
    catalogs: Path, make_app: Callable[..., Flask], flask_babel: ModuleType, clock: Clock
) -> None:
    clock.now = DAY
    client = babel_host(make_app, flask_babel, "de")

    for accept_language in ("fr", None):
        html = page(client, accept_language)
        assert root_lang(html) == "de"
        assert "Geheime API-Schlüssel" in html and "Clés" not in html
        assert GERMAN_DATE in html


def test_with_flask_babel_secret_keys_locale_gives_way_to_the_selector(
    catalogs: Path, make_app: Callable[..., Flask], flask_babel: ModuleType, clock: Clock
) -> None:
    clock.now = DAY
    client = babel_host(make_app, flask_babel, "de", SECRET_KEYS_LOCALE="fr")

    html = page(client, "fr")
    assert root_lang(html) == "de"
    assert "Geheime API-Schlüssel" in html


def test_with_flask_babel_a_language_we_do_not_ship_is_english_for_sentences_and_dates(
    catalogs: Path, make_app: Callable[..., Flask], flask_babel: ModuleType, clock: Clock
) -> None:
    # One switch: Italian dates around English sentences would be a page in two languages.
    clock.now = DAY
    client = babel_host(make_app, flask_babel, "it")

    html = page(client, "de")
    assert root_lang(html) == "en"
    assert '<h1 class="sk-page-title">Secret API Keys</h1>' in html
    assert ENGLISH_DATE in html
    assert "marzo" not in html and "Geheime" not in html


def test_with_flask_babel_json_errors_follow_the_selector(
    catalogs: Path, make_app: Callable[..., Flask], flask_babel: ModuleType
) -> None:
    app = make_app()
    flask_babel.Babel(app, locale_selector=lambda: "de")
    client = app.test_client()
    log_in(client, "viewer@example.com", "viewer")

    _status, body = json_error(client, "/admin/api/me", **{"Accept-Language": "fr"})
    assert body["error"] == "admin_required"
    assert body["message"] == GERMAN["This API is for admin users only."]


# A host with catalogs of its own: each domain keeps its own sentences

host_db, HostUser = new_db_and_user("i18n_host_users", admin_by_default=True)
host_login = LoginManager()
host_keys = SecretKeys(db=host_db, user_model=HostUser, table_name="i18n_host_keys")


@host_login.user_loader
def load_host_user(user_id: str) -> Any:
    return host_db.session.get(HostUser, int(user_id))


def find_host_user(email: str) -> Any:
    return host_db.session.execute(
        sa.select(HostUser).where(HostUser.email == email)
    ).scalar_one_or_none()


HOST_LAYOUT = """<!doctype html>
<html lang="{{ sk_lang|default('en') }}">
<head><meta charset="utf-8">
<title>{% block title %}{{ _("Dashboard") }}{% endblock %}</title></head>
<body>
  <nav id="host-nav"><a href="/">{{ _("Dashboard") }}</a>
    <span id="host-create">{{ _("Create") }}</span>
    <span id="host-settings">{{ _("Settings") }}</span></nav>
  <main id="host-main">{% block main %}{% endblock %}</main>
</body>
</html>
"""


def compile_catalog(po_path: Path) -> None:
    """The ``.mo`` beside a ``.po``: Flask-Babel reads compiled catalogs only."""
    from babel.messages.pofile import read_po

    with po_path.open("rb") as source:
        catalog: Catalog = read_po(source)
    with po_path.with_suffix(".mo").open("wb") as out:
        write_mo(out, catalog)


@pytest.fixture
def host_with_catalogs(tmp_path: Path, catalogs: Path, flask_babel: ModuleType) -> Iterator[Flask]:
    """A host in German by Flask-Babel, with its own catalog ("messages") and layout."""
    templates = tmp_path / "templates"
    (templates / "host").mkdir(parents=True)
    (templates / "host" / "base.html").write_text(HOST_LAYOUT)
    host_translations = tmp_path / "host_translations"
    compile_catalog(
        write_catalog(
            host_translations,
            "de",
            {"Dashboard": "Übersicht", "Settings": "Host-Einstellungen"},
            domain="messages",
        )
    )

    app = Flask(__name__, template_folder=str(templates))
    app.config.update(
        SECRET_KEY="i18n-host-secret",
        SQLALCHEMY_DATABASE_URI=database_url(tmp_path),
        SECRET_KEYS_BASE_TEMPLATE="host/base.html",
        SECRET_KEYS_CONTENT_BLOCK="main",
        BABEL_TRANSLATION_DIRECTORIES=str(host_translations),
    )
    host_db.init_app(app)
    host_login.init_app(app)
    flask_babel.Babel(app, locale_selector=lambda: "de")
    host_keys.init_app(app)
    add_host_routes(app, find_host_user)
    with fresh_tables(app, host_db):
        with app.app_context():
            host_db.session.add(HostUser(email="ann@host.test"))
            host_db.session.commit()
        yield app


def element_text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, f"no #{element_id}"
    return match.group(1).strip()


def test_a_host_keeps_its_own_translations_on_our_pages(host_with_catalogs: Flask) -> None:
    client = host_with_catalogs.test_client()
    log_in_host(client, "ann@host.test")

    html = text(client.get(BASE))

    # The host's layout, in the host's German.
    assert '<a href="/">Übersicht</a>' in html
    assert element_text(html, "host-settings") == "Host-Einstellungen"
    # Our sentences, from our catalog: the host's "Settings" is not ours.
    assert '<p class="sk-eyebrow">Einstellungen</p>' in html
    assert root_lang(html) == "de"
    # The title the pages give the layout is ours too.
    assert "<title>Geheime API-Schlüssel</title>" in html


def test_our_catalog_never_answers_the_hosts_gettext(host_with_catalogs: Flask) -> None:
    client = host_with_catalogs.test_client()
    log_in_host(client, "ann@host.test")

    html = text(client.get(BASE))

    # "Create" is in our catalog, not the host's: the host's _() leaves it English,
    # while our own button on the same page is German.
    assert element_text(html, "host-create") == "Create"
    assert re.search(r'id="sk-create"[^>]*>\s*<svg.*?</svg>\s*Erstellen\s*</a>', html, re.S)
    with host_with_catalogs.test_request_context(headers={"Accept-Language": "de"}):
        from flask_babel import gettext as host_gettext

        assert host_gettext("Create") == "Create"
        assert host_gettext("Secret API Keys") == "Secret API Keys"
        assert host_gettext("Dashboard") == "Übersicht"
