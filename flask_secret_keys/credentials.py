"""Reading a key from a request: the headers it may come in, and only credentials of ours.

Pure parsing of the WSGI environ, with werkzeug's ``Authorization``; no
database, no app state. :mod:`flask_secret_keys.auth` calls it on every
request.
"""

from __future__ import annotations

from werkzeug.datastructures import Authorization
from werkzeug.wrappers import Request

#: What a presented credential of ours that cannot be a key becomes: it fails
#: the well-formedness check, so it is refused like any other bad key.
_UNUSABLE = ""


def read_credential(request: Request, header_name: str | None, prefix: str) -> str | None:
    """The key a request presents to us, or None if it presents none.

    A credential of ours that cannot be a key (a Basic password beside it, two
    credentials at once) gets a value that fails verification, so it is
    refused rather than treated as anonymous. Headers are read from the WSGI
    environ, which is what ``request.headers`` does too, minus a raised and
    caught ``KeyError`` for each header that is absent.
    """
    environ = request.environ
    found: list[str] = []
    if header_name:
        value = environ.get("HTTP_" + header_name.upper().replace("-", "_"))
        if value is not None:
            found.append(value.strip())
    authorization = environ.get("HTTP_AUTHORIZATION")
    if authorization is not None:
        credential = _from_authorization(authorization, prefix)
        if credential is not None:
            found.append(credential)
    if not found:
        return None
    return found[0] if len(found) == 1 else _UNUSABLE


def _from_authorization(value: str, prefix: str) -> str | None:
    """Our key in an ``Authorization`` header value, or None if the value is not ours."""
    scheme, _, rest = value.partition(" ")
    rest = rest.strip(" \t")
    try:
        parsed = Authorization.from_header(value)
    except ValueError:
        # werkzeug 3.1 lets b64decode's ValueError for non-ASCII Basic values out.
        parsed = None
    if parsed is None or (parsed.type == "bearer" and parsed.token is None):
        # What werkzeug does not read as a token: a Basic value that is not
        # base64 (the key unencoded), or a Bearer value with an "=" inside.
        ours = scheme.lower() in ("basic", "bearer") and rest.startswith(prefix)
        return rest if ours else None
    if parsed.type == "bearer":
        token = parsed.token or ""
        return token if token.startswith(prefix) else None
    if parsed.type == "basic":
        username = parsed.username or ""
        if not username.startswith(prefix):
            return None
        return _UNUSABLE if parsed.password else username
    return None
