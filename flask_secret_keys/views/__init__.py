"""The Settings → Secret API Keys pages: list, create, details, edit, revoke, delete.

Users the ``can_oversee`` predicate names also get **All keys**: every user's
keys, any of which they may open and revoke, and the revocation of all active
keys of one user at once.

Views translate HTTP to :class:`~flask_secret_keys.service.KeyService` calls and
service errors to responses. Every page and action works as a plain HTML form
with redirects; a request made by htmx (``HX-Request``) is answered with a
partial instead, and every response carries ``Vary: HX-Request``.

The pages are for the browser sessions of admin users. They are not Admin
API, so a secret API key authenticates nobody here: a leaked key can never be
used to manage keys.

:mod:`.blueprint` holds the blueprint, its access rules and what the views
share; the views are in :mod:`.keys` (a user's own keys) and
:mod:`.oversight` (every user's keys), :mod:`.restrictions` (a key's
permissions and networks) and :mod:`.networks` (a key's new networks), which
register on it when imported.
"""

from __future__ import annotations

from . import keys, networks, oversight, restrictions
from .blueprint import bp

__all__ = ["bp", "keys", "networks", "oversight", "restrictions"]
