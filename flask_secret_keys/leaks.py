"""Leaked keys reported over HTTP: GitHub's secret scanning, and anyone's report.

Two endpoints, each off until the host gives it a path, outside the Admin API
and outside CSRF (their callers hold no session):

- ``SECRET_KEYS_GITHUB_SCANNING_URL``: GitHub's secret scanning partner
  program posts the keys it finds in public, signed with ECDSA P-256 and
  SHA-256 over the body; each working key among them is revoked within the
  request, and the answer is GitHub's feedback, one label per match. Needs
  the ``cryptography`` package: ``pip install 'flask-secret-keys[scanning]'``.
- ``SECRET_KEYS_LEAK_REPORT_URL``: anyone may post secrets found leaked. It
  always answers ``202``, and does the work after the answer is sent, so that
  neither the answer nor its timing tells whether a secret was a key.

Nothing of a token is logged or echoed: the feedback names each by its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Flask, Response, current_app, request

from .auth import GITHUB_SCANNING_ENDPOINT, LEAK_REPORT_ENDPOINT
from .errors import (
    DatabaseUnavailable,
    LeakRequestInvalid,
    LeakRequestTooLarge,
    SignatureInvalid,
    TooManyReports,
)
from .i18n import gettext
from .outages import DATABASE_UNAVAILABLE, log_unavailable
from .rules import GITHUB_SCANNING, LEAK_REPORT, Actor
from .service import LeakReport
from .settings import Settings
from .state import current_state

#: The largest body either endpoint reads: a thousand matches fit with room to spare.
MAX_BODY = 1024 * 1024
#: The most secrets one report may hold.
MAX_CREDENTIALS = 1000
#: Where a match was found, cut to this length in the key's event.
URL_MAX_LENGTH = 2000
SOURCE_MAX_LENGTH = 50


def register(app: Flask, settings: Settings) -> None:
    """Add the endpoints the settings switch on to ``app``."""
    if settings.github_scanning_url is not None:
        app.add_url_rule(
            settings.github_scanning_url,
            GITHUB_SCANNING_ENDPOINT,
            github_scanning,
            methods=["POST"],
        )
    if settings.leak_report_url is not None:
        app.add_url_rule(
            settings.leak_report_url, LEAK_REPORT_ENDPOINT, leak_report, methods=["POST"]
        )


def _body() -> bytes:
    """The request's body, or 413 past :data:`MAX_BODY`."""
    if (request.content_length or 0) > MAX_BODY:
        raise LeakRequestTooLarge()
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise LeakRequestTooLarge()
    return body


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise LeakRequestInvalid(gettext("The body is not JSON.")) from None


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _matches(body: bytes) -> list[dict[str, Any]]:
    """GitHub's matches: a JSON array of objects, each with a ``token`` string."""
    matches = _json(body)
    if not isinstance(matches, list) or not all(
        isinstance(match, dict) and isinstance(match.get("token"), str) for match in matches
    ):
        raise LeakRequestInvalid(gettext("Expected a JSON array of objects, each with a token."))
    return matches


def _json_response(data: Any, status: int) -> Response:
    response = current_app.response_class(
        json.dumps(data), status=status, mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def github_scanning() -> Response:
    """GitHub's secret scanning alert: verify, revoke what works, answer with feedback."""
    state = current_state()
    body = _body()
    identifier = request.headers.get("Github-Public-Key-Identifier", "")
    signature = request.headers.get("Github-Public-Key-Signature", "")
    keys = state.github_keys
    if keys is None or not identifier or not signature:
        raise SignatureInvalid()
    public_key = keys.key(identifier)
    if public_key is None or not keys.verify(public_key, body, signature):
        raise SignatureInvalid()
    matches = _matches(body)
    tokens = [match["token"] for match in matches]
    try:
        found = state.service.match_leaked(tokens)
        reports, seen = [], set()
        for match in matches:
            key = found.get(match["token"])
            if key is not None and key.id not in seen:
                seen.add(key.id)
                reports.append(
                    LeakReport(
                        key,
                        _text(match.get("source"), SOURCE_MAX_LENGTH) or "github",
                        _text(match.get("url"), URL_MAX_LENGTH),
                    )
                )
        state.service.revoke_leaked(reports, actor=Actor.system(GITHUB_SCANNING))
    except DATABASE_UNAVAILABLE as error:
        log_unavailable(error)
        raise DatabaseUnavailable() from None
    feedback = [
        {
            "token_hash": hashlib.sha256(match["token"].encode("utf-8")).hexdigest(),
            "token_type": _text(match.get("type"), 100) or "",
            "label": "true_positive" if match["token"] in found else "false_positive",
        }
        for match in matches
    ]
    return _json_response(feedback, 200)


def leak_report() -> Response:
    """Anyone's report of leaked secrets: ``202`` always, the work after the answer."""
    state = current_state()
    limiter = state.report_limiter
    retry_after = None if limiter is None else limiter.record_failure(request.remote_addr)
    if retry_after is not None:
        raise TooManyReports(retry_after)
    report = _json(_body())
    credentials = report.get("credentials") if isinstance(report, dict) else None
    if (
        not isinstance(credentials, list)
        or not credentials
        or len(credentials) > MAX_CREDENTIALS
        or not all(isinstance(credential, str) for credential in credentials)
    ):
        raise LeakRequestInvalid(
            gettext(
                'Expected {"credentials": [...]} with 1 to %(max)s strings.',
                max=MAX_CREDENTIALS,
            )
        )
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    actor = Actor.system(LEAK_REPORT, ip=request.remote_addr, user_agent=request.user_agent.string)
    response = _json_response(
        {"message": gettext("Thank you. Any of these that is a working key here is revoked.")},
        202,
    )
    response.call_on_close(lambda: _revoke_reported(app, credentials, actor))
    return response


def _revoke_reported(app: Flask, tokens: list[str], actor: Actor) -> None:
    """Revoke the working keys among reported ``tokens``, once the answer is sent."""
    with app.app_context():
        service = current_state().service
        try:
            found = service.match_leaked(tokens)
            reports = [LeakReport(key, "report") for key in found.values()]
            service.revoke_leaked(reports, actor=actor)
        except Exception as error:
            # Never the statement: its parameters are the secrets' hashes.
            app.logger.error("Could not revoke reported keys: %s", type(error).__name__)
