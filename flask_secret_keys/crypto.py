"""Token generation, checksums, hashing and parsing.

Pure functions with no knowledge of Flask or the database, so the token format
can be tested and reasoned about on its own.

A token looks like ``sk_`` + 43 base62 characters (256 random bits) + 6 base62
characters of CRC32 checksum over the body, e.g.
``sk_4bE3...Qx9s0Z1a2b``. The checksum lets a mistyped or invented key be
rejected before any database work; it is not a secret and proves nothing about
authenticity — the hash lookup does that.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

#: The 62 characters a token body and checksum are written in. No ``-`` or
#: ``_``, so a double-click selects the whole token.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Random bytes per token: 256 bits, the strength of the hash that stores it.
ENTROPY_BYTES = 32
#: 62**43 > 2**256, so 43 characters hold 32 random bytes.
BODY_LENGTH = 43
#: 62**6 > 2**32, so 6 characters hold a CRC32.
CHECKSUM_LENGTH = 6
#: The default token prefix.
DEFAULT_PREFIX = "sk_"
#: What a prefix may look like: short, lowercase letters and digits, ending in ``_``.
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,14}_")

_INDEX = {char: i for i, char in enumerate(ALPHABET)}
_BODY_RE = re.compile(rf"[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}")


def _encode(number: int, width: int) -> str:
    """Write ``number`` in base62, left-padded with ``0`` to ``width`` characters."""
    chars = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, ALPHABET[0])


def checksum(body: str) -> str:
    """The CRC32 of ``body``, as 6 base62 characters."""
    return _encode(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def token_length(prefix: str) -> int:
    """The exact length of every token with this prefix."""
    return len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH


def token_pattern(prefix: str = DEFAULT_PREFIX) -> str:
    """A regular expression that matches tokens, for secret scanners."""
    return rf"\b{re.escape(prefix)}[0-9A-Za-z]{{{BODY_LENGTH + CHECKSUM_LENGTH}}}\b"


#: How many token characters after the prefix make a text "look like a key":
#: more than a redacted key shows (4), far fewer than a whole one (49).
SECRET_HINT_LENGTH = 16


def secret_pattern(prefix: str = DEFAULT_PREFIX) -> str:
    """A regular expression, valid in Python and JavaScript, for text that
    holds a whole (or most of a) token, so it can be kept out of URLs."""
    return f"{prefix}[0-9A-Za-z]{{{SECRET_HINT_LENGTH},}}"


def looks_like_token(text: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """Whether ``text`` contains what looks like a token, well-formed or not."""
    return re.search(secret_pattern(prefix), text) is not None


def generate_token(prefix: str = DEFAULT_PREFIX) -> str:
    """A new token with 256 bits from :mod:`secrets`."""
    body = _encode(int.from_bytes(secrets.token_bytes(ENTROPY_BYTES), "big"), BODY_LENGTH)
    return prefix + body + checksum(body)


def is_well_formed(token: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """Whether ``token`` has the prefix, length, alphabet and checksum of a token.

    Cheap and database-free: call it before any lookup.
    """
    if len(token) != token_length(prefix) or not token.startswith(prefix):
        return False
    rest = token[len(prefix) :]
    if _BODY_RE.fullmatch(rest) is None:
        return False
    body, check = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
    return hmac.compare_digest(checksum(body), check)


def hash_token(token: str, pepper: bytes | None = None) -> str:
    """The stored form of a token: SHA-256, or HMAC-SHA256 keyed by ``pepper``.

    A fast hash is right here: the token carries 256 random bits, so there is
    nothing for a slow password hash to protect against, and it would cost
    every API request tens of milliseconds.
    """
    data = token.encode("ascii")
    if pepper:
        return hmac.new(pepper, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def redact(token: str, prefix: str = DEFAULT_PREFIX) -> str:
    """A display form that identifies a key without revealing it: ``sk_AbCd…wXyZ``."""
    body = token[len(prefix) :]
    return f"{prefix}{body[:4]}…{body[-4:]}"


def digests_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
