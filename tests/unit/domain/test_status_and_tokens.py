"""Pure domain rules: status derivation (seed 000 "Statut du contact"), link and ticket secrets."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guestlist.fields import normalise_identifier
from guestlist.status import Status, derive_status
from guestlist.tokens import digest, link_token, looks_like_token, redact, ticket_code

SECRET = b"k" * 64


@pytest.mark.parametrize(("facts", "expected"), [
    ({}, Status.OPEN),
    ({"accessed": True}, Status.ACCESSED),
    ({"accessed": True, "declined": True}, Status.UNREGISTERED),
    ({"cancelled": 1}, Status.UNREGISTERED),
    ({"waitlisted": 1}, Status.WAITLISTED),
    ({"waitlisted": 1, "confirmed": 1}, Status.REGISTERED),
    ({"declined": True, "confirmed": 1}, Status.REGISTERED),
    ({"confirmed": 1, "attended": 1}, Status.ATTENDED),
])
def test_status_is_derived_from_facts(facts, expected):
    base = {"accessed": False, "declined": False, "confirmed": 0, "waitlisted": 0, "attended": 0}
    assert derive_status(**{**base, **facts}) == expected


def test_every_seed_status_is_reachable():
    reached = {derive_status(accessed=a, declined=d, confirmed=c, waitlisted=w, attended=t)
               for a in (False, True) for d in (False, True) for c in (0, 1) for w in (0, 1) for t in (0, 1)}
    assert reached == set(Status)


def test_link_token_is_256_bits_of_base64url():
    token = link_token(SECRET, "evt-1", "ada@example.com", 1)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_rotation_and_other_events_give_unrelated_tokens():
    tokens = {link_token(SECRET, e, i, v) for e in ("a", "b") for i in ("x", "y") for v in (1, 2)}
    assert len(tokens) == 8


def test_ticket_code_is_a_separate_secret_in_qr_alphanumeric_alphabet():
    code = ticket_code(SECRET, "evt-1", "bk-1")
    assert re.fullmatch(r"[A-Z2-7]{32}", code)
    assert code != link_token(SECRET, "evt-1", "bk-1", 1)


def test_digest_is_what_the_tables_store_and_does_not_reveal_the_token():
    token = link_token(SECRET, "evt-1", "x", 1)
    assert digest(token) != token and len(digest(token)) == 64


@given(st.text())
def test_junk_never_looks_like_a_token_unless_it_has_the_shape(value):
    if looks_like_token(value):
        assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", value)


def test_redact_removes_tokens_from_log_lines():
    token = link_token(SECRET, "evt-1", "x", 1)
    line = f'"POST /e/{token}/bookings?lang=de HTTP/1.1" 201'
    assert token not in redact(line) and "/e/[token]/bookings" in redact(line)


def test_identifiers_trim_and_emails_compare_case_insensitively():
    assert normalise_identifier("  Ada@Example.COM ") == "ada@example.com"
    assert normalise_identifier(" 00123 ") == "00123"
