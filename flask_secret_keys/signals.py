"""Signals sent by flask-secret-keys.

Each is sent with the Flask app as the sender. None of them ever carries a
plaintext key or its hash, so a receiver may log what it is given.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent when a key is created, with ``key`` and ``user`` (its owner).
key_created = _signals.signal("secret-keys-created")

#: Sent when a key's title changes, with ``key`` and ``old_title``.
key_title_changed = _signals.signal("secret-keys-title-changed")

#: Sent when a key is revoked, with ``key`` and ``by`` (the user who revoked it, or None).
key_revoked = _signals.signal("secret-keys-revoked")

#: Sent after a key is deleted, with ``key_id``, ``user_id`` (its owner) and ``redacted``.
key_deleted = _signals.signal("secret-keys-deleted")

#: Sent when a key authenticates a request, with ``key`` and ``user``.
key_authenticated = _signals.signal("secret-keys-authenticated")

#: Sent when a presented key is refused, with ``reason``: one of ``"malformed"``,
#: ``"unknown"``, ``"revoked"``, ``"expired"``, ``"owner_missing"``, ``"inactive_user"``
#: or ``"not_admin"``, and
#: ``key`` (None unless the key was found).
key_rejected = _signals.signal("secret-keys-rejected")

#: Sent when a key's revocation is scheduled for later, with ``key``, ``at`` (when
#: it stops working, in UTC) and ``by`` (the user who asked, or None). The key
#: leaves its owner's active slot at once; ``key_revoked`` is not sent when the
#: time comes, as nothing happens then but the clock passing.
key_revocation_scheduled = _signals.signal("secret-keys-revocation-scheduled")

#: Sent when a key is rolled, with ``key`` (the old key), ``successor`` (the new
#: active key, same title), ``grace`` (a timedelta: how long the old key keeps
#: working) and ``by``. Followed by ``key_revocation_scheduled`` for the old key,
#: or ``key_revoked`` when the grace period is zero.
key_rolled = _signals.signal("secret-keys-rolled")
