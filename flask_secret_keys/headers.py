"""Security headers on the extension's own responses.

Added only where the host (or the view) has not set the header already, so a
host with its own policy — Flask-Talisman, a proxy's headers copied in, a
stricter CSP — keeps it. Registered on the ``secret_keys`` blueprint, so the
host's pages are left alone; a URL under the pages' prefix that no route
matches (a 404, or a 405 for a wrong method) gets them from an app-wide
function, as no function of the blueprint runs for it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from werkzeug.wrappers import Response

#: Headers every page of the extension gets unless already set.
DEFAULT_HEADERS = {
    # Never guess a content type: a title rendered into a page stays text.
    "X-Content-Type-Options": "nosniff",
    # Key ids and searched titles in URLs stay on this site. Not "no-referrer":
    # Flask-WTF checks the Referer of HTTPS form posts against the host.
    "Referrer-Policy": "same-origin",
    # No framing, so the revoke and delete buttons cannot be clickjacked.
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Response) -> Response:
    """An ``after_request`` function: the defaults above, on the extension's responses.

    Pages also get ``Cache-Control: no-store``, so neither a shared cache nor
    the browser's history keeps a page about keys (the page that reveals a
    new key sets it itself), and a ``frame-ancestors 'none'`` policy when the
    host has set no Content-Security-Policy. Static files keep their caching.
    """
    headers = response.headers
    for name, value in DEFAULT_HEADERS.items():
        headers.setdefault(name, value)
    if request.endpoint == "secret_keys.static":
        return response
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def routing_errors_under(prefix: str) -> Callable[[Response], Response]:
    """An app-wide ``after_request`` function: those headers on routing errors under ``prefix``.

    A 404 or 405 that routing itself raises belongs to no blueprint, so the
    blueprint's own ``after_request`` functions never see it.
    """
    below = prefix.rstrip("/") + "/"

    def add_to_routing_errors(response: Response) -> Response:
        if request.url_rule is None and request.routing_exception is not None:
            path = request.path
            if path == prefix or path.startswith(below):
                return add_security_headers(response)
        return response

    return add_to_routing_errors
