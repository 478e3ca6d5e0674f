"""Every sentence of the pages is marked: a pseudo-translation shows what is not.

A catalog made at test time from the messages the sources mark wraps each one
in ⟦ ⟧ (Esperanto, a language the extension does not ship, stands for it).
Every page state and dialog the views produce is rendered in it; what is left
once the marked text, the data the test made (titles, names, dates, numbers,
keys, code) and the punctuation are removed must hold no word: a word left is
a sentence the translators never see.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from example_app.extensions import secret_keys as host_keys
from example_app.models import DEMO_USERS
from flask_secret_keys import Actor
from flask_secret_keys.reach import Reach
from tests.helpers import (
    BASE,
    HX,
    Clock,
    catalogs_at,
    csrf_token,
    extracted_messages,
    get_user,
    service_of,
    text,
    write_catalog,
)

PSEUDO = "eo"
OPEN, CLOSE = "⟦", "⟧"
#: Elements whose text is data, not sentences: code, keys typed or shown, times.
DATA_ELEMENTS = {"code", "pre", "kbd", "textarea", "time", "samp"}
HIDDEN_ELEMENTS = {"script", "style"}
ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "aria-description")
TITLES = ("Deploy bot", "Nightly export", "Old report", "Limited sync", "Expired one")
WORD = re.compile(r"[^\W\d_]{2,}")
MARKED = re.compile(rf"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
#: Data the pages show as is: keys and their redacted forms, addresses, networks, dates.
DATA_PATTERNS = [
    re.compile(r"sk_[0-9A-Za-z]+(…[0-9A-Za-z]+)?"),
    re.compile(r"\b[\w.+-]+@[\w.-]+\b"),
    re.compile(r"\d+(\.\d+){3}(/\d+)?"),
    re.compile(r"\d{4}-\d\d-\d\d([T ][\d:.+Z-]*)?"),
    re.compile(r"https?://\S+"),
    re.compile(r"\b\w+:(read|write)\b"),
    re.compile(r"\b(curl|Authorization|Bearer|X-Api-Key|UTC)\b"),
]


@pytest.fixture
def pseudo(tmp_path: Path) -> Iterator[None]:
    messages: dict[object, object] = {}
    for message in extracted_messages():
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            messages[tuple(message.id)] = tuple(f"{OPEN}{one}{CLOSE}" for one in message.id)
        else:
            messages[message.id] = f"{OPEN}{message.id}{CLOSE}"
    root = tmp_path / "translations"
    write_catalog(root, PSEUDO, messages)
    with catalogs_at(root):
        yield


@pytest.fixture
def app(pseudo: None, make_app: object) -> Flask:
    return make_app()  # type: ignore[operator,no-any-return]


class _Visible(HTMLParser):
    """The text a person reads or hears in the extension's part of a page (its
    ``#sk-root`` section, or the whole of a partial): text outside scripts and data
    elements, in document order, and the attributes read aloud or shown."""

    def __init__(self, whole: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.open: list[str] = []
        self.inside = whole
        self.root_level: int | None = None  # how many elements enclose #sk-root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id") == "sk-root":
            self.inside, self.root_level = True, len(self.open)
        if tag not in ("input", "br", "img", "meta", "link", "hr", "source", "wbr"):
            self.open.append(tag)
        if not self.inside:
            return
        if tag != "time":
            self.attributes += [f"{name}={values[name]}" for name in ATTRIBUTES if values.get(name)]
        kind = values.get("type")
        if tag in ("input", "button") and kind in ("submit", "button") and values.get("value"):
            self.attributes.append(f"value={values['value']}")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        if self.root_level is not None and len(self.open) <= self.root_level:
            self.inside = False  # past #sk-root: the rest is the host's
        self.text.append("")

    def handle_data(self, data: str) -> None:
        if self.inside and not set(self.open) & (DATA_ELEMENTS | HIDDEN_ELEMENTS):
            self.text.append(data)


SEPARATOR = "\x00"


def _left_of(rest: str, data: tuple[str, ...]) -> str:
    for known in sorted(data, key=len, reverse=True):
        rest = rest.replace(known, " ")
    for pattern in DATA_PATTERNS:
        rest = pattern.sub(" ", rest)
    return rest


def unmarked(html: str, data: tuple[str, ...]) -> list[str]:
    """The pieces of visible text that keep a word once marks and data are removed.

    A marked sentence may hold markup (a link, ``<kbd>``): its mark spans elements.
    """
    parser = _Visible(whole='id="sk-root"' not in html)
    parser.feed(html)
    stream = SEPARATOR.join(parser.text)
    while MARKED.search(stream):
        stream = MARKED.sub(SEPARATOR, stream)
    pieces = [" ".join(piece.split()) for piece in stream.split(SEPARATOR)]
    left = [piece for piece in pieces if WORD.search(_left_of(piece, data))]
    for attribute in parser.attributes:
        rest = attribute.split("=", 1)[1]
        while MARKED.search(rest):
            rest = MARKED.sub(" ", rest)
        if WORD.search(_left_of(rest, data)):
            left.append(attribute)
    return left


def script_messages_unmarked(html: str) -> list[str]:
    found = re.search(
        r'<script[^>]*type="application/json"[^>]*id="(sk-[\w-]*messages[\w-]*)"[^>]*>(.*?)</script>'
        r'|<script[^>]*id="(sk-[\w-]*messages[\w-]*)"[^>]*type="application/json"[^>]*>(.*?)</script>',
        html,
        re.S,
    )
    if not found:
        return ['no <script type="application/json" id="sk-…messages"> with the scripts\' messages']
    values = json.loads(found.group(2) or found.group(4))
    return [
        f"script message {name}: {value!r}"
        for name, value in values.items()
        if not (str(value).startswith(OPEN) and str(value).endswith(CLOSE))
    ]


def rendered(app: Flask, clock: Clock, client: FlaskClient) -> dict[str, str]:
    """Every page state and dialog, by name."""
    lang = {"Accept-Language": PSEUDO}
    pages: dict[str, str] = {}

    def get(name: str, path: str, **headers: str) -> None:
        response = client.get(path, headers={**lang, **headers})
        assert response.status_code in (200, 403, 404), (name, response.status_code)
        pages[name] = text(response)

    def post(name: str, path: str, data: dict[str, str], **headers: str) -> str:
        response = client.post(
            path,
            data={"csrf_token": csrf_token(client, BASE), **data},
            headers={**lang, **headers},
            follow_redirects=not headers,
        )
        pages[name] = text(response)
        return pages[name]

    get("My keys, empty", BASE)
    get("Create, page", f"{BASE}/new")
    get("Create, dialog", f"{BASE}/new", **HX)
    post("Create, form error", f"{BASE}/new", {"title": "x" * 500}, **HX)
    post("Reveal after create", f"{BASE}/new", {"title": TITLES[0]}, **HX)
    post("Reveal after create, page", f"{BASE}/new", {"title": TITLES[1]})

    user = get_user("admin@example.com")
    service = service_of(app)
    old = service.key_by_id(1)
    service.revoke(old, actor=Actor.for_user(user))
    limited, _token = service.create(
        user, TITLES[3], reach=Reach.of({"orders": "read"}, ["10.0.0.0/8"])
    )
    service.revoke(limited, actor=Actor.for_user(user))
    expiring, _token = service.create(user, TITLES[4], expires_at=clock.now + dt.timedelta(days=1))
    clock.advance(days=2)
    active, _token = service.create(user, TITLES[2])
    ids = {"revoked": old.id, "restricted": limited.id, "expired": expiring.id, "active": active.id}

    get("My keys, with keys", BASE)
    get("My keys, filtered, nothing", f"{BASE}?q=nothing-matches-this&status=active")
    get("My keys, revoked", f"{BASE}?status=revoked")
    get("All keys", f"{BASE}/all")
    for state, key_id in ids.items():
        get(f"Details, {state}", f"{BASE}/{key_id}")
    for action in ("edit", "revoke", "roll", "delete", "restrictions"):
        get(f"{action}, dialog", f"{BASE}/{ids['active']}/{action}", **HX)
        get(f"{action}, page", f"{BASE}/{ids['active']}/{action}")
    get("Revoke all, dialog", f"{BASE}/all/revoke?owner=ops@example.com", **HX)
    get("Revoke all, page", f"{BASE}/all/revoke?owner=ops@example.com")
    post("Identify, no match", f"{BASE}/identify", {"key": "sk_" + "0" * 52})
    post("Identify, no match, dialog", f"{BASE}/identify", {"key": "sk_" + "0" * 52}, **HX)
    post("Edit, form error", f"{BASE}/{ids['active']}/edit", {"title": ""}, **HX)
    post("Revoked, with its notice", f"{BASE}/{ids['active']}/revoke", {})
    return pages


def test_every_sentence_of_every_page_is_marked(
    app: Flask, clock: Clock, admin_client: FlaskClient
) -> None:
    with app.app_context():
        pages = rendered(app, clock, admin_client)
    # The host's own words (its resources' labels) are its to translate.
    host_labels = [t for r in host_keys.resources.values() for t in (r.label, r.description)]
    data = (
        *TITLES,
        *(name for _email, name, _password, _admin in DEMO_USERS),
        *host_labels,
        "x" * 500,
    )
    gaps = {name: unmarked(html, data) for name, html in pages.items()}
    gaps = {name: found for name, found in gaps.items() if found}
    report = "\n".join(
        f"{name}:\n" + "\n".join(f"  {piece}" for piece in found) for name, found in gaps.items()
    )
    assert not gaps, f"text not marked for translation, by page:\n{report}"


def test_the_scripts_messages_are_marked(app: Flask, admin_client: FlaskClient) -> None:
    html = text(admin_client.get(BASE, headers={"Accept-Language": PSEUDO}))
    gaps = script_messages_unmarked(html)
    assert not gaps, "\n".join(gaps)


def test_the_check_finds_an_unmarked_sentence() -> None:
    # The check itself: marked text, data and punctuation pass; a bare word does not.
    html = (
        f"<p>{OPEN}Revoke {OPEN}“%(title)s”{CLOSE}{CLOSE} Deploy bot · 3</p>"
        f'<button aria-label="{OPEN}Close{CLOSE}">×</button><code>curl -H X</code>'
        f"<script>var words = 1;</script><time>March 5</time>"
    )
    assert unmarked(html, ("Deploy bot",)) == []
    assert unmarked(f'<section id="sk-root">{html}</section><p>Host</p>', ("Deploy bot",)) == []
    found = unmarked(html + '<p>Key actions</p><a title="Copy">x</a>', ())
    assert found == ["Deploy bot · 3", "Key actions", "title=Copy"]
