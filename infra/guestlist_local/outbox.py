"""The local stack's outbox: the mails the system sent through the emulator's SES, for `guestlist outbox`.

moto keeps sent mail in memory and shows it at `{endpoint}/moto-api/data.json` under
"ses" -> "Message" (source, destinations, subject, body); nothing leaves the machine.
SES refuses a sender that is not a verified identity, so `guestlist up` verifies the
template's sender (SES_SENDER) in the emulator once at start.
"""

from __future__ import annotations


import requests

from .provision import client


def ensure_sender_verified(endpoint_url: str, sender: str | None = None) -> str:
    """Verify the sender identity in the emulator (idempotent); returns the address."""
    from guestlist.settings import get_settings  # the stack's environment is set by now

    sender = sender or get_settings().ses_sender
    client("ses", endpoint_url).verify_email_identity(EmailAddress=sender)
    return sender


def sent_messages(endpoint_url: str, *, to: str | None = None, timeout: float = 10.0) -> list[dict]:
    """Every mail the emulator's SES accepted, oldest first: {id, source, to, subject, body}."""
    response = requests.get(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=timeout)
    response.raise_for_status()
    out = []
    for message in response.json().get("ses", {}).get("Message", []):
        destinations = message.get("destinations") or {}
        recipients = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])]
        if to and to.lower() not in (r.lower() for r in recipients):
            continue
        out.append({"id": message.get("id"), "source": message.get("source"), "to": recipients,
                    "subject": message.get("subject"), "body": message.get("body")})
    return out
