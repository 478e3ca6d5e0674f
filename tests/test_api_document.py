"""The management API's OpenAPI document: valid, complete, and true to the answers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from flask_secret_keys import KeyService, Reach, api, openapi
from flask_secret_keys.openapi_schemas import ERRORS
from flask_secret_keys.reach import reach_of
from flask_secret_keys.settings import DEFAULTS, Settings
from tests.helpers import API, get_user, session_client

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    response = session_client(app).get(f"{API}/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def test_the_served_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)

    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": API}]


def test_every_route_is_documented_and_nothing_else(app: Flask, document: dict[str, Any]) -> None:
    routes = {
        (
            rule.rule.removeprefix(API).replace("<int:key_id>", "{key_id}") or "/",
            method.lower(),
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("secret_keys_api.")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == documented


def test_every_refusal_has_a_documented_code(document: dict[str, Any]) -> None:
    codes = set(document["components"]["schemas"]["Error"]["properties"]["error"]["enum"])
    assert {code for _status, code in api.REFUSALS.values()} <= codes
    for status, code in api.REFUSALS.values():
        assert code in ERRORS[status]


def test_the_credential_forms_follow_the_settings() -> None:
    settings = Settings.from_config({**DEFAULTS, "SECRET_KEYS_HEADER": None})
    schemes = openapi.document(settings)["components"]["securitySchemes"]
    assert set(schemes) == {"bearer", "basic", "session", "csrf"}
    validate(openapi.document(settings))

    with_header = openapi.document(Settings.from_config(DEFAULTS))
    assert with_header["components"]["securitySchemes"]["header"]["name"] == "X-Api-Key"


def conforms(document: dict[str, Any], name: str, instance: Any) -> None:
    """``instance`` matches the document's schema ``name`` (its ``$ref`` resolved in it)."""
    jsonschema.validate(instance, {**document, "$ref": f"#/components/schemas/{name}"})


def test_the_answers_match_their_schemas(app: Flask, document: dict[str, Any]) -> None:
    client: FlaskClient = session_client(app)
    created = client.post(API, json={"title": "CI", "expires_in": 3600})
    conforms(document, "NewSecretKey", created.get_json())
    key_id = created.get_json()["secret_key"]["id"]
    client.post(f"{API}/{key_id}", json={"title": "CI 2"})
    conforms(document, "NewSecretKey", client.post(f"{API}/{key_id}/roll").get_json())
    conforms(document, "SecretKeyList", client.get(f"{API}?owner=all").get_json())
    conforms(document, "SecretKey", client.get(f"{API}/{key_id}").get_json())
    conforms(document, "EventList", client.get(f"{API}/{key_id}/events").get_json())
    conforms(document, "Deleted", client.delete(f"{API}/{key_id}").get_json())
    for refused in (client.post(API, json={}), client.post(API, json={"title": "x"})):
        conforms(document, "Error", refused.get_json())
    with pytest.raises(jsonschema.ValidationError):
        conforms(document, "SecretKey", {"id": key_id})


def run_readme_session(number: int, live_server: str, **env: str) -> list[Any]:
    """Run the README's ``number``-th curl session against ``live_server``; its JSON answers."""
    curl = shutil.which("curl")
    if curl is None:
        if os.environ.get("CI"):
            pytest.fail("curl is not installed")
        pytest.skip("curl is not installed")
    readme = README.read_text().split("## Managing keys over JSON")[1].split("\n## ")[0]
    sessions = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert len(sessions) > number, "no such curl session in the README"
    script = sessions[number].replace("http://127.0.0.1:5000", live_server)

    result = subprocess.run(  # noqa: S603 - the documented commands
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines, text, decoder = [], result.stdout.strip(), json.JSONDecoder()
    while text:
        answer, end = decoder.raw_decode(text)
        lines.append(answer)
        text = text[end:].strip()
    return lines


def test_the_readmes_curl_session_runs_and_the_key_revokes_itself(
    live_server: str, admin_token: str
) -> None:
    lines = run_readme_session(0, live_server, SECRET_API_KEY=admin_token)

    assert [key["title"] for key in lines[0]["secret_keys"]] == ["Test key"]
    assert lines[1]["events"][0]["event"] == "created"
    assert lines[2]["error"] == "insufficient_scope"
    assert lines[3]["status"] == "revoked"
    assert lines[4]["error"] == "invalid_api_key"


def test_the_readmes_pipeline_key_rotates_itself_with_grace(
    app: Flask, live_server: str, service: KeyService
) -> None:
    with app.app_context():
        reach = Reach.of({"secret_keys": "write"}, ["127.0.0.0/8"])
        key, token = service.create(get_user("admin@example.com"), "Deploy", reach=reach)
        key_id = key.id

    (old,) = run_readme_session(1, live_server, PIPELINE_KEY=token)

    assert old["id"] == key_id and old["status"] == "revoking"
    with app.app_context():
        keys = service.keys_of(get_user("admin@example.com"))
        (successor,) = [k for k in keys if k.id != key_id]
        assert successor.status == "active" and reach_of(successor) == reach
