"""Item 3: our verification against what other systems spend per request.

Two reference verifiers, written here for comparison only:

- a scan that runs scrypt (N=16384, r=8, p=1, 64-byte output) of the
  presented key against each active key's salt until one matches, as a store
  that keeps keys under a password hash must do when it cannot look one up;
- Werkzeug's ``check_password_hash`` with its default method, what a naive
  Flask implementation storing keys like passwords would call.

Both are timed in memory, without any database work, so they are a lower
bound of what they would cost in a real request. Ours is timed twice in the
same rounds: its in-memory part alone (parse, checksum, SHA-256, constant-time
comparison with the stored digest), the like-for-like comparison, and the
whole :meth:`KeyService.authenticate`, database lookup included.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from werkzeug.security import check_password_hash, generate_password_hash

from flask_secret_keys import crypto

from .environment import Seeded
from .report import Result
from .stats import Batch, interleaved, per_call, ratio, spread, times, timing
from .verification import authenticate_batch

SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_BYTES = 16384, 8, 1, 64


def _scrypt(token: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        token.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_BYTES
    )


def scrypt_scan_batch(active_keys: int, calls: int) -> Batch:
    """Seconds to verify a key by scrypt against ``active_keys`` stored keys.

    The presented key is the last one scanned, as it is for a scan in any
    order on average half the time and always for an unknown key.
    """
    tokens = [secrets.token_urlsafe(32) for _ in range(active_keys)]
    stored = []
    for token in tokens:
        salt = secrets.token_bytes(16)
        stored.append((salt, _scrypt(token, salt)))
    presented = tokens[-1]

    def verify() -> None:
        for salt, digest in stored:
            if hmac.compare_digest(_scrypt(presented, salt), digest):
                return
        raise AssertionError("the presented key should match")

    return lambda: per_call(verify, calls)


def crypto_batch(calls: int) -> Batch:
    """Seconds per in-memory check of our token: what is left once the row is found."""
    token = crypto.generate_token()
    stored = crypto.hash_token(token)

    def verify() -> None:
        assert crypto.is_well_formed(token)
        assert crypto.digests_equal(crypto.hash_token(token), stored)

    return lambda: per_call(verify, calls)


def werkzeug_batch(calls: int) -> Batch:
    """Seconds per ``check_password_hash`` of a key stored with Werkzeug's default method."""
    token = secrets.token_urlsafe(32)
    stored = generate_password_hash(token)

    def verify() -> None:
        assert check_password_hash(stored, token)

    return lambda: per_call(verify, calls)


def run(seeded: Seeded, scan_sizes: Sequence[int], rounds: int, our_calls: int) -> Result:
    """Time ours and the references in the same rounds; report how many times faster ours is."""
    result = Result(
        name="alternatives",
        title="3. Against password-hash verifiers (same run)",
        header=(
            "verifier",
            "per verification",
            "authenticate() faster by",
            "in-memory check faster by",
        ),
    )
    cases: dict[str, Batch] = {
        "ours": authenticate_batch(seeded, our_calls),
        "ours in memory": crypto_batch(our_calls * 10),
    }
    for size in scan_sizes:
        cases[f"scrypt x{size}"] = scrypt_scan_batch(size, 1)
    cases["werkzeug"] = werkzeug_batch(1)
    samples = interleaved(cases, rounds)
    ours, ours_in_memory = samples["ours"], samples["ours in memory"]
    method = generate_password_hash("x").split("$", 1)[0]
    labels = {
        "ours": f"ours: authenticate() on {seeded.backend.name}, {seeded.size} keys",
        "ours in memory": "ours in memory: parse, checksum, SHA-256, compare",
    }
    for size in scan_sizes:
        labels[f"scrypt x{size}"] = (
            f"scrypt N={SCRYPT_N} r={SCRYPT_R} p={SCRYPT_P}, {size} active key"
            + ("s" if size > 1 else "")
        )
    labels["werkzeug"] = f"werkzeug check_password_hash ({method})"
    for name, values in samples.items():
        mine = name.startswith("ours")
        speedup = ratio(values, ours)
        speedup_in_memory = ratio(values, ours_in_memory)
        result.data[name] = {
            "label": labels[name],
            "seconds": timing(values),
            "speedup_of_ours": speedup,
            "speedup_of_ours_in_memory": speedup_in_memory,
        }
        result.rows.append(
            (
                labels[name],
                spread(timing(values)),
                "—" if mine else times(speedup["median"]),
                "—" if mine else times(speedup_in_memory["median"]),
            )
        )
    if len(scan_sizes) > 1:
        first, last = scan_sizes[0], scan_sizes[-1]
        growth = ratio(samples[f"scrypt x{last}"], samples[f"scrypt x{first}"])
        result.data["scrypt_scan_growth"] = {"from": first, "to": last, "ratio": growth}
        result.notes.append(
            f"the scrypt scan grows with the active keys: {last} keys cost"
            f" {times(growth['median'])} of {first}"
        )
    result.notes.append(
        f"median [min–max] over {rounds} rounds; a round runs each reference once and ours"
        f" {our_calls} times (median); the references are timed in memory, without the"
        " database work a request would add to them"
    )
    return result
