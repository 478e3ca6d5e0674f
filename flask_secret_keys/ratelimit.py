"""Per-client limiting of failed key attempts.

Built on `limits <https://limits.readthedocs.io>`_, the engine underneath
Flask-Limiter, rather than on a Flask-Limiter instance: the count must cover
every Admin API route and only failed key attempts, and it
must not share ``RATELIMIT_*`` settings or ``app.extensions["limiter"]`` with
a Flask-Limiter the host may already run. Install it with the ``limiter``
extra: ``pip install 'flask-secret-keys[limiter]'``; this module is imported
only when ``SECRET_KEYS_RATE_LIMIT`` is set.

A 256-bit key cannot be guessed at any rate, so this limit is not what keeps
keys secret. The key is always checked first, and a valid key always passes:
other clients' failures behind the same address (an office behind NAT) never
lock it out. Past the limit a failed attempt is answered with 429 and
``Retry-After`` instead of 401, which tells a misconfigured or hostile client
to back off and makes a run of bad keys visible.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from limits import parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

#: The namespace of the counters in the storage, shared by every worker.
NAMESPACE = "flask-secret-keys:failed-key-attempts"
#: The namespace of the leak report endpoint's counters.
REPORTS_NAMESPACE = "flask-secret-keys:leak-reports"


class FailedAttemptLimiter:
    """Counts failed key attempts per client in a moving window.

    :param limit: a ``limits`` rate such as ``"10 per minute"``.
    :param storage_uri: where counters live: ``memory://`` for one process,
        ``redis://host:port/db`` to share them between workers.
    :param namespace: the counters' namespace: failed key attempts, or
        :data:`REPORTS_NAMESPACE` for leak reports, each counted apart.
    :raises ValueError: when the rate or the storage cannot be used.
    """

    def __init__(self, limit: str, storage_uri: str, namespace: str = NAMESPACE) -> None:
        self.limit = parse(limit)
        self.namespace = namespace
        try:
            # Wrapped, a backend's own errors (redis.ConnectionError …) become StorageError.
            storage = storage_from_string(storage_uri, wrap_exceptions=True)
        except ConfigurationError as error:
            raise ValueError(str(error)) from error
        self._strategy = MovingWindowRateLimiter(storage)

    def record_failure(self, address: str | None) -> int | None:
        """Count a failed attempt from ``address``; the seconds to wait if it is over the limit.

        A storage failure is logged and the attempt passes: an unreachable
        Redis must not lock every API client out, and keys stay safe without
        the limit.
        """
        client = client_of(address)
        try:
            if self._strategy.hit(self.limit, self.namespace, client):
                return None
            reset_at, _remaining = self._strategy.get_window_stats(
                self.limit, self.namespace, client
            )
        except StorageError:
            logger.warning(
                "Rate limit storage failed; a failed attempt went uncounted.", exc_info=True
            )
            return None
        return max(1, math.ceil(reset_at - time.time()))


def client_of(address: str | None) -> str:
    """Who failed attempts are counted against: an IPv4 address, or an IPv6 /64.

    One IPv6 host usually holds a whole /64 and can pick any address in it,
    so counting single IPv6 addresses would let it escape the limit. An
    IPv4-mapped IPv6 address counts as its IPv4 address. Behind a reverse
    proxy the address is the proxy's unless the host trusts
    ``X-Forwarded-For`` explicitly, with werkzeug's ``ProxyFix``; the header
    itself is never read here, so a client cannot pick its own identity.
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
