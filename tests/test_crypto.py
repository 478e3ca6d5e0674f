"""The token format: generation, checksum, hashing, redaction, the scanner regex."""

from __future__ import annotations

import hashlib
import re
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_secret_keys import crypto
from tests.helpers import FUZZ


def test_token_has_prefix_body_and_checksum() -> None:
    token = crypto.generate_token()
    assert token.startswith("sk_")
    assert len(token) == crypto.token_length("sk_") == 3 + 43 + 6
    body, check = token[3:46], token[46:]
    assert check == crypto.checksum(body)
    assert set(token[3:]) <= set(crypto.ALPHABET)


def test_token_body_holds_256_random_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    requested: list[int] = []

    def token_bytes(n: int) -> bytes:
        requested.append(n)
        return b"\xff" * n

    monkeypatch.setattr(secrets, "token_bytes", token_bytes)
    token = crypto.generate_token()
    assert requested == [32]
    # The largest 256-bit number still fits the fixed-width body, so no bit is lost.
    body = token[3:46]
    assert sum(crypto.ALPHABET.index(c) * 62**i for i, c in enumerate(reversed(body))) == (
        2**256 - 1
    )


def test_tokens_are_unique() -> None:
    assert len({crypto.generate_token() for _ in range(1000)}) == 1000


def test_custom_prefix() -> None:
    token = crypto.generate_token("acme_")
    assert token.startswith("acme_")
    assert crypto.is_well_formed(token, "acme_")
    assert not crypto.is_well_formed(token, "sk_")


def test_checksum_catches_swapped_neighbours() -> None:
    token = crypto.generate_token()
    swapped = [
        token[:i] + token[i + 1] + token[i] + token[i + 2 :]
        for i in range(3, 45)
        if token[i] != token[i + 1]
    ]
    assert swapped
    assert not any(crypto.is_well_formed(candidate) for candidate in swapped)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: t[:-1],
        lambda t: t + "A",
        lambda t: t[3:],
        lambda t: "pk_" + t[3:],
        lambda t: "SK_" + t[3:],
        lambda t: t.replace("sk_", "sk-", 1),
        lambda t: t[:10] + "-" + t[11:],
        lambda t: t[:10] + "_" + t[11:],
        lambda t: t[:10] + "é" + t[11:],
        lambda t: t[:10] + "\x00" + t[11:],
        lambda t: " " + t[:-1],
        lambda t: t.lower(),
    ],
)
def test_malformed_tokens_are_not_well_formed(mangle: object) -> None:
    token = crypto.generate_token()
    assert callable(mangle)
    assert not crypto.is_well_formed(mangle(token))


def test_hash_is_sha256_without_pepper() -> None:
    token = crypto.generate_token()
    assert crypto.hash_token(token) == hashlib.sha256(token.encode()).hexdigest()


def test_pepper_keys_the_hash() -> None:
    token = crypto.generate_token()
    plain = crypto.hash_token(token)
    peppered = crypto.hash_token(token, b"p" * 32)
    assert peppered != plain
    assert peppered == crypto.hash_token(token, b"p" * 32)
    assert peppered != crypto.hash_token(token, b"q" * 32)


def test_redacted_form_reveals_eight_characters_of_the_body() -> None:
    token = crypto.generate_token()
    redacted = crypto.redact(token)
    assert redacted == f"sk_{token[3:7]}…{token[-4:]}"
    assert token not in redacted


def test_scanner_pattern_finds_tokens_in_text() -> None:
    token = crypto.generate_token()
    text = f"export KEY={token}\nother sk_short and {crypto.generate_token('acme_')}"
    assert re.findall(crypto.token_pattern(), text) == [token]


def test_digests_equal() -> None:
    digest = crypto.hash_token(crypto.generate_token())
    assert crypto.digests_equal(digest, digest)
    assert not crypto.digests_equal(digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))


@pytest.mark.parametrize(
    ("text", "looks"),
    [
        (crypto.generate_token(), True),
        ("see " + crypto.generate_token()[:-10] + " in the log", True),
        ("sk_AbCd…wXyZ", False),
        ("sk_AbCd", False),
        ("Billing sync", False),
    ],
)
def test_text_holding_most_of_a_token_is_told_apart_from_a_search(text: str, looks: bool) -> None:
    assert crypto.looks_like_token(text) is looks


# Properties, with Hypothesis.

tokens = st.builds(lambda: crypto.generate_token())


@FUZZ
@given(text=st.text(max_size=120) | st.from_regex(r"sk_[0-9A-Za-z]{49}", fullmatch=True))
def test_text_is_well_formed_only_with_the_prefix_length_alphabet_and_checksum(
    text: str,
) -> None:
    shaped = re.fullmatch(crypto.token_pattern(), text) is not None
    expected = shaped and crypto.checksum(text[3:46]) == text[46:]
    assert crypto.is_well_formed(text) == expected


@FUZZ
@given(
    token=tokens,
    position=st.integers(min_value=3, max_value=crypto.token_length("sk_") - 1),
    char=st.sampled_from(crypto.ALPHABET),
)
def test_every_single_character_change_fails_the_checksum(
    token: str, position: int, char: str
) -> None:
    mutated = token[:position] + char + token[position + 1 :]
    assert crypto.is_well_formed(mutated) == (mutated == token)


@FUZZ
@given(token=tokens, cut=st.integers(min_value=0, max_value=51), extra=st.text(max_size=5))
def test_truncated_or_extended_tokens_are_not_well_formed(token: str, cut: int, extra: str) -> None:
    candidate = token[:cut] + extra
    if candidate != token:
        assert not crypto.is_well_formed(candidate)
