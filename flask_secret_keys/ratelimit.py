"""Per-client limiting of failed key attempts.

Built on `limits <https://limits.readthedocs.io>`_, the engine underneath
Flask-Limiter, rather than on a Flask-Limiter instance: the count must cover
every route (a key is checked before any view runs) and only failures, and it
must not share ``RATELIMIT_*`` settings or ``app.extensions["limiter"]`` with
a Flask-Limiter the host may already run. Install it with the ``limiter``
extra: ``pip install 'flask-secret-keys[limiter]'``; this module is imported
only when ``SECRET_KEYS_RATE_LIMIT`` is set.

A 256-bit key cannot be guessed at any rate, so this limit is not what keeps
keys secret. It caps what a client sending bad keys costs (each well-formed
one is a database lookup), and slows whoever tries leaked or scraped keys.
"""

from __future__ import annotations

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


class FailedAttemptLimiter:
    """Counts failed key attempts per client in a moving window.

    :param limit: a ``limits`` rate such as ``"10 per minute"``.
    :param storage_uri: where counters live: ``memory://`` for one process,
        ``redis://host:port/db`` to share them between workers.
    :raises ValueError: when the rate or the storage cannot be used.
    """

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.limit = parse(limit)
        try:
            # Wrapped, a backend's own errors (redis.ConnectionError …) become StorageError.
            storage = storage_from_string(storage_uri, wrap_exceptions=True)
        except ConfigurationError as error:
            raise ValueError(str(error)) from error
        self._strategy = MovingWindowRateLimiter(storage)

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try a key again, or None if it may now.

        If the storage fails, the client may: an unreachable Redis must not
        lock every API client out, and keys stay safe without the limit.
        """
        try:
            if self._strategy.test(self.limit, NAMESPACE, client):
                return None
            reset_at, _remaining = self._strategy.get_window_stats(self.limit, NAMESPACE, client)
        except StorageError:
            logger.warning(
                "Rate limit storage failed; key attempts are not limited.", exc_info=True
            )
            return None
        return max(1, math.ceil(reset_at - time.time()))

    def record_failure(self, client: str) -> None:
        """Count one failed attempt by ``client``; a storage failure is logged, not raised."""
        try:
            self._strategy.hit(self.limit, NAMESPACE, client)
        except StorageError:
            logger.warning(
                "Rate limit storage failed; a failed attempt went uncounted.", exc_info=True
            )
