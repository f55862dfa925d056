"""Secrets of guests and staff: personal-link tokens, ticket codes and API keys.

Link tokens and ticket codes are HMACs of a server secret, so a link can be shown and
exported again at any time while the tables hold only their SHA-256 hash: a dump of
the tables resolves no link, and rotating bumps the version so the old one dies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets


def _mac(secret: bytes, *parts: str) -> bytes:
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()


def link_token(secret: bytes, event_id: str, identifier: str, version: int) -> str:
    """256-bit base64url token (43 characters) of one contact's link, at one version."""
    return base64.urlsafe_b64encode(_mac(secret, "link", event_id, identifier, str(version))).rstrip(b"=").decode()


def ticket_code(secret: bytes, event_id: str, booking_id: str) -> str:
    """160-bit code a booking's QR holds; base32 (QR alphanumeric mode), separate from the link."""
    return base64.b32encode(_mac(secret, "ticket", event_id, booking_id)[:20]).decode()


def digest(secret_value: str) -> str:
    """The lookup key stored in place of a secret (token, ticket code or API key)."""
    return hashlib.sha256(secret_value.strip().encode("utf-8")).hexdigest()


def new_api_key(prefix: str) -> str:
    """A fresh random API key; only its digest is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def looks_like_token(value: str) -> bool:
    """Cheap shape check so junk never reaches the database."""
    return 20 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)


_TOKEN_IN_PATH = r"(/[eu]/)[^/?#\s]+"  # personal links and unsubscribe links; compiled on first use (cold start)


def redact(text: str) -> str:
    """Text safe for a log line: the token of any personal-link or unsubscribe path is replaced."""
    return re.sub(_TOKEN_IN_PATH, r"\1[token]", text)


def sign_cursor(secret: bytes, position: object, bound_to: dict) -> str:
    """A page cursor: the position (base64url JSON) and an HMAC over it and the query it belongs to.

    A client can pass it back but not forge, edit or reuse it with other filters or another event.
    """
    body = base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{body}.{_cursor_mac(secret, body, bound_to)}"


def open_cursor(secret: bytes, cursor: str, bound_to: dict) -> object | None:
    """The position a cursor holds, or None when it is not one this API signed for this query."""
    body, _, mac = cursor.partition(".")
    if not body or not hmac.compare_digest(mac.encode("ascii", "replace"), _cursor_mac(secret, body, bound_to).encode()):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None


def _cursor_mac(secret: bytes, body: str, bound_to: dict) -> str:
    query = json.dumps(bound_to, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(_mac(secret, "cursor", query, body)[:18]).decode()
