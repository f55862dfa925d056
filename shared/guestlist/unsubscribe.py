"""Unsubscribe links and the suppression list (unsubscribed per workspace, undeliverable everywhere).

The token in `/u/{token}` comes from its own secret (UNSUBSCRIBE_SECRET_ARN), never from
the personal link's: it only unsubscribes, it never opens the guest page. It carries the
contact's key sealed (a deterministic SIV construction over HMAC-SHA256: the tag is the
MAC of the plaintext, the keystream is derived from the tag), so it needs no stored
lookup item, shows no address in the URL, and any altered byte is refused.

Suppressions are keyed by address (`ADDR#{email or phone}`): an unsubscribe covers every
event of the workspace the person is a contact of; a bounce or complaint covers all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from .codes import Code
from .errors import NotFound
from .retry import condition_failed, retrying
from .secret import unsubscribe_secret
from .settings import get_settings

_TAG = 16


def _keys(secret: bytes) -> tuple[bytes, bytes]:
    return (hmac.new(secret, b"unsubscribe-mac", hashlib.sha256).digest(),
            hmac.new(secret, b"unsubscribe-enc", hashlib.sha256).digest())


def _stream(key: bytes, tag: bytes, length: int) -> bytes:
    out, counter = b"", 0
    while len(out) < length:
        out += hmac.new(key, tag + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: bytes, event_id: str, identifier: str) -> str:
    """The unsubscribe token of one contact (the same every time: mails can be rebuilt)."""
    mac_key, enc_key = _keys(secret)
    plain = f"{event_id}\x1f{identifier}".encode()
    tag = hmac.new(mac_key, plain, hashlib.sha256).digest()[:_TAG]
    sealed = bytes(a ^ b for a, b in zip(plain, _stream(enc_key, tag, len(plain))))
    return base64.urlsafe_b64encode(tag + sealed).rstrip(b"=").decode()


def open_token(secret: bytes, token: str) -> tuple[str, str]:
    """(event_id, identifier) of a token; any other string is the same 404."""
    not_found = NotFound(Code.UNSUBSCRIBE_NOT_FOUND, "this unsubscribe link is not valid")
    if not token or len(token) > 1200 or not all(c.isalnum() or c in "-_" for c in token):
        raise not_found
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise not_found from None
    if len(raw) <= _TAG:
        raise not_found
    mac_key, enc_key = _keys(secret)
    tag, sealed = raw[:_TAG], raw[_TAG:]
    plain = bytes(a ^ b for a, b in zip(sealed, _stream(enc_key, tag, len(sealed))))
    if not hmac.compare_digest(hmac.new(mac_key, plain, hashlib.sha256).digest()[:_TAG], tag):
        raise not_found
    event_id, _, identifier = plain.decode("utf-8", "replace").partition("\x1f")
    return event_id, identifier


def unsubscribe_url(event_id: str, identifier: str, base_url: str | None = None) -> str:
    base = (base_url if base_url is not None else get_settings().public_base_url).rstrip("/")
    return f"{base}/u/{seal(unsubscribe_secret(), event_id, identifier)}"


def normalise_address(address: str) -> str:
    return address.strip().lower()


# ------------------------------------------------------------------ suppressions
# Storage is imported inside the functions below: the bounces function imports this module for
# mark_undeliverable, and its cold start leaves PynamoDB (and the guest modules) to its first write.

def unsubscribe(token: str, *, now: str | None = None) -> dict:
    """Unsubscribe the token's contact from its workspace's campaigns; idempotent.

    Returns {"event_id", "identifier", "language", "new"}; the contact's history gets one note.
    """
    from pynamodb.exceptions import PutError

    from .clock import now_iso
    from .contacts import get_contact
    from .events import get_event
    from .models import HistoryModel, SuppressionModel

    event_id, identifier = open_token(unsubscribe_secret(), token)
    try:
        contact = get_contact(event_id, identifier)
        event = get_event(event_id)
    except NotFound:
        raise NotFound(Code.UNSUBSCRIBE_NOT_FOUND, "this unsubscribe link is not valid") from None
    at = now or now_iso()
    addresses = [normalise_address(a) for a in (contact.email, contact.phone_mobile) if a]
    for address in addresses:
        item = SuppressionModel(pk=f"ADDR#{address}", sk=f"UNSUB#{event.workspace_id}", kind="unsubscribed",
                                at=at, source=f"{event_id}/{contact.identifier}")
        retrying(item.save, what="suppression")
    note = HistoryModel(pk=contact.pk, sk=f"{at}#unsubscribe", event_id=event_id, identifier=contact.identifier,
                        old_status=contact.status, new_status=contact.status, changed_at=at, cause="guest",
                        cause_ref="unsubscribe", note="unsubscribed")
    new = True
    try:  # one note per contact, however often the button is pressed
        if any(h.note == "unsubscribed" for h in HistoryModel.query(contact.pk, consistent_read=True)
               if h.cause_ref == "unsubscribe"):
            new = False
        else:
            retrying(lambda: note.save(condition=HistoryModel.pk.does_not_exist()), what="history note")
    except PutError as exc:
        if not condition_failed(exc):
            raise
        new = False
    return {"event_id": event_id, "identifier": contact.identifier, "language": contact.language, "new": new}


def mark_undeliverable(address: str, kind: str, detail: str, *, now: str | None = None) -> None:
    """A hard bounce or a complaint: later campaigns skip the address (every workspace)."""
    from .clock import now_iso
    from .models import SuppressionModel

    item = SuppressionModel(pk=f"ADDR#{normalise_address(address)}", sk="UNDELIVERABLE", kind=kind,
                            at=now or now_iso(), source=detail[:200])
    retrying(item.save, what="suppression")


def suppressed(addresses: list[str], workspace_id: str) -> dict[str, str]:
    """address -> 'undeliverable' | 'unsubscribed' for those of `addresses` that must not get campaigns.

    One BatchGet per 50 addresses (two keys each).
    """
    from .models import SuppressionModel

    wanted = sorted({normalise_address(a) for a in addresses if a})
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 50):
        keys = []
        for address in wanted[start:start + 50]:
            keys += [(f"ADDR#{address}", "UNDELIVERABLE"), (f"ADDR#{address}", f"UNSUB#{workspace_id}")]
        for item in SuppressionModel.batch_get(keys, consistent_read=True):
            address = item.pk[len("ADDR#"):]
            if item.sk == "UNDELIVERABLE" or address not in out:
                out[address] = "undeliverable" if item.sk == "UNDELIVERABLE" else "unsubscribed"
    return out


# ------------------------------------------------------------------ the page

PAGE_TEXTS = {
    "de": {"title": "Abmelden", "ask": "Möchten Sie keine Einladungen und Erinnerungen dieses Veranstalters mehr erhalten?",
           "button": "Abmelden", "done": "Sie sind abgemeldet. Bestätigungen zu Ihren Buchungen erhalten Sie weiterhin."},
    "fr": {"title": "Se désabonner", "ask": "Vous ne souhaitez plus recevoir d'invitations ni de rappels de cet organisateur\u00a0?",
           "button": "Me désabonner", "done": "Vous êtes désabonné. Vous recevrez toujours les confirmations de vos réservations."},
    "en": {"title": "Unsubscribe", "ask": "Stop receiving invitations and reminders from this organiser?",
           "button": "Unsubscribe", "done": "You are unsubscribed. You will still receive confirmations of your bookings."},
    "it": {"title": "Annulla iscrizione", "ask": "Non desidera più ricevere inviti e promemoria da questo organizzatore?",
           "button": "Annulla iscrizione", "done": "Iscrizione annullata. Riceverà comunque le conferme delle sue prenotazioni."},
}


def language_of_token(token: str) -> str:
    """The contact's language for the page (English when the token or contact is unknown: same 404 later)."""
    from .contacts import get_contact

    event_id, identifier = open_token(unsubscribe_secret(), token)
    try:
        lang = get_contact(event_id, identifier).language
    except NotFound:
        raise NotFound(Code.UNSUBSCRIBE_NOT_FOUND, "this unsubscribe link is not valid") from None
    return lang if lang in PAGE_TEXTS else "en"


def page_html(lang: str, *, done: bool) -> str:
    """A confirm button (GET never unsubscribes: mail scanners prefetch links) or the confirmation."""
    from html import escape

    from .transactional import html_document

    words = PAGE_TEXTS.get(lang, PAGE_TEXTS["en"])
    if done:
        body = f"<h1>{escape(words['title'])}</h1><p>{escape(words['done'])}</p>"
    else:
        body = (f"<h1>{escape(words['title'])}</h1><p>{escape(words['ask'])}</p>"
                f'<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
                f'<button type="submit" style="font-size:16px;padding:10px 18px">{escape(words["button"])}</button></form>')
    return html_document(lang, words["title"], body)


def feedback_addresses(notification: dict) -> list[tuple[str, str, str]]:
    """(address, kind, detail) an SES event-publishing or identity notification makes undeliverable.

    Permanent bounces and every complaint count; transient bounces (mailbox full) do not.
    """
    kind = str(notification.get("eventType") or notification.get("notificationType") or "").lower()
    if kind == "bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        detail = f"bounce:{bounce.get('bounceSubType') or 'General'}"
        return [(r["emailAddress"], "bounce", detail) for r in bounce.get("bouncedRecipients") or [] if r.get("emailAddress")]
    if kind == "complaint":
        complaint = notification.get("complaint") or {}
        detail = f"complaint:{complaint.get('complaintFeedbackType') or 'unspecified'}"
        return [(r["emailAddress"], "complaint", detail) for r in complaint.get("complainedRecipients") or []
                if r.get("emailAddress")]
    return []
