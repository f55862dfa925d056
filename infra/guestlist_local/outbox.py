"""The local stack's outbox: the mails and SMS the system sent through the emulator, for `guestlist outbox`.

moto keeps them in memory and shows them at `{endpoint}/moto-api/data.json`: SES mail
under "ses" -> "RawMessage" (our raw MIME exactly as sent; "Message" for simple sends)
and SNS texts under "sns" -> "SMS"; nothing leaves the machine. SES refuses a sender that
is not a verified identity, so `guestlist up` verifies the template's sender (SES_SENDER)
in the emulator once at start.
"""

from __future__ import annotations

import email
from email.policy import default as default_policy
from email.utils import parseaddr

import requests

from .provision import client


def ensure_sender_verified(endpoint_url: str, sender: str | None = None) -> str:
    """Verify the sender identity in the emulator (idempotent); returns the address."""
    from guestlist.settings import get_settings  # the stack's environment is set by now

    sender = sender or get_settings().ses_sender
    client("ses", endpoint_url).verify_email_identity(EmailAddress=sender)
    return sender


def _model_data(endpoint_url: str, timeout: float) -> dict:
    response = requests.get(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=timeout)
    response.raise_for_status()
    return response.json()


def parse_raw(raw: str) -> dict:
    """Subject, headers, text and HTML bodies and attachments (name, type, size) of a raw MIME mail."""
    msg = email.message_from_string(raw, policy=default_policy)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    attachments = [{"filename": part.get_filename(), "content_type": part.get_content_type(),
                    "size": len(part.get_payload(decode=True) or b"")} for part in msg.iter_attachments()]
    return {"subject": str(msg["Subject"] or ""), "headers": {k: str(v) for k, v in msg.items()},
            "body": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else None, "attachments": attachments}


def _unique(addresses) -> list[str]:
    seen: list[str] = []
    for address in addresses:
        if address not in seen:
            seen.append(address)
    return seen


def sent_messages(endpoint_url: str, *, to: str | None = None, timeout: float = 10.0, channel: str | None = None,
                  data: dict | None = None) -> list[dict]:
    """Every mail and SMS the emulator accepted: {id, channel, source, to, subject, body, ...}.

    Mails first, oldest first (moto keeps no send time), then SMS. `channel` is "email" or "sms".
    """
    data = data if data is not None else _model_data(endpoint_url, timeout)
    out = []
    ses = data.get("ses", {})
    if channel in (None, "email"):
        for message in ses.get("Message", []):
            destinations = message.get("destinations") or {}
            recipients = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(kind, [])]
            out.append({"id": message.get("id"), "channel": "email", "source": message.get("source"), "to": recipients,
                        "subject": message.get("subject"), "body": message.get("body"), "html": None,
                        "attachments": [], "headers": {}})
        for message in ses.get("RawMessage", []):
            parsed = parse_raw(message.get("raw_data") or "")
            out.append({"id": message.get("id"), "channel": "email", "source": message.get("source"),
                        "to": _unique(message.get("destinations") or []), **parsed})
    if channel in (None, "sms"):
        for sms in data.get("sns", {}).get("SMS", []):
            out.append({"id": sms.get("message_id"), "channel": "sms", "source": None, "to": [sms.get("phone_number")],
                        "subject": None, "body": sms.get("message"), "html": None, "attachments": [], "headers": {}})
    if to:
        wanted = to.lower()
        out = [m for m in out if any(wanted == parseaddr(str(r))[1].lower() or wanted == str(r).lower() for r in m["to"])]
    return out


def raw_message(endpoint_url: str, message_id: str, *, timeout: float = 10.0) -> str | None:
    """The raw MIME of one sent mail, exactly as handed to SES (None when there is no such mail)."""
    for message in _model_data(endpoint_url, timeout).get("ses", {}).get("RawMessage", []):
        if message.get("id") == message_id:
            return message.get("raw_data")
    return None
