"""Signals sent by flask-secret-keys.

Each is sent with the Flask app as the sender. None of them ever carries a
plaintext key or its hash, so a receiver may log what it is given. Every
signal of a change carries ``actor``, the :class:`~flask_secret_keys.Actor`
who made it (``Actor.system()`` when no one did, such as a revocation that
took effect by the clock).

.. versionchanged:: 0.3.0
   ``by`` is replaced by ``actor`` on every signal that had it, and
   ``key_created``, ``key_title_changed`` and ``key_deleted`` carry it too.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent when a key is created, with ``key``, ``user`` (its owner) and ``actor``.
key_created = _signals.signal("secret-keys-created")

#: Sent when a key's title changes, with ``key``, ``old_title`` and ``actor``.
key_title_changed = _signals.signal("secret-keys-title-changed")

#: Sent when a key stops working for good, with ``key`` and ``actor``: revoked now, or a
#: scheduled revocation or a roll's grace period that ended (then the actor is the
#: system, sent when the service records it: see :meth:`flask_secret_keys.KeyService.settle`).
key_revoked = _signals.signal("secret-keys-revoked")

#: Sent after a key is deleted, with ``key_id``, ``user_id`` (its owner), ``redacted``
#: and ``actor``.
key_deleted = _signals.signal("secret-keys-deleted")

#: Sent when a key authenticates a request, with ``key`` and ``user``.
key_authenticated = _signals.signal("secret-keys-authenticated")

#: Sent when a presented key is refused, with ``reason``: one of ``"malformed"``,
#: ``"unknown"``, ``"revoked"``, ``"expired"``, ``"dormant"`` (unused for
#: ``SECRET_KEYS_REVOKE_UNUSED_AFTER``), ``"owner_missing"``, ``"inactive_user"``
#: or ``"not_admin"``, and
#: ``key`` (None unless the key was found). A valid key that may not make the request is
#: refused with ``"network_not_allowed"`` or ``"insufficient_scope"``.
key_rejected = _signals.signal("secret-keys-rejected")

#: Sent when a key's revocation is scheduled for later, with ``key``, ``at`` (when
#: it stops working, in UTC) and ``actor``. The key leaves its owner's active slot
#: at once; ``key_revoked`` follows once the time has come and the service
#: records it.
key_revocation_scheduled = _signals.signal("secret-keys-revocation-scheduled")

#: Sent when a key is rolled, with ``key`` (the old key), ``successor`` (the new
#: active key, same title), ``grace`` (a timedelta: how long the old key keeps
#: working) and ``actor``. Followed by ``key_revocation_scheduled`` for the old key,
#: or ``key_revoked`` when the grace period is zero.
key_rolled = _signals.signal("secret-keys-rolled")

#: Sent when a key's restrictions are narrowed in place, with ``key``, ``before`` and
#: ``after`` (:class:`~flask_secret_keys.reach.Reach` values) and ``actor``.
#:
#: .. versionadded:: 0.3.0
key_restricted = _signals.signal("secret-keys-restricted")

#: Sent when a key is revoked because it was found leaked, with ``key``, ``url`` (where
#: it was found, or None), ``source`` (GitHub's kind of place, such as ``"commit"``,
#: ``"report"`` for the public report endpoint, ``"command_line"`` for
#: ``flask secret-keys revoke-leaked``) and ``actor``. ``key_revoked`` is sent too.
#: Connect it to tell the owner, who must replace the key where it was used.
#:
#: .. versionadded:: 0.3.0
key_leaked = _signals.signal("secret-keys-leaked")

#: Sent when a key is used from a network (IPv4 /24, IPv6 /64) it was never used from,
#: after its first day of use, with ``key``, ``address`` (the client's) and
#: ``user_agent`` (either None when unknown). The request goes on: connect it to tell the
#: owner, who may acknowledge it on the key's page or revoke the key. A ``new_network``
#: event records it.
#:
#: .. versionadded:: 0.3.0
key_used_from_new_network = _signals.signal("secret-keys-used-from-new-network")
