"""Account-manager notifications: a guest action (access, booking, decline, cancel, check-in) becomes one mail.

The history function calls this once per written history entry, so a replayed stream
record sends nothing twice. Mails name the guest, the event and what happened; they
never carry a personal link or its token, nor a ticket code.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from . import mail
from .history import HistoryEntry
from .settings import get_settings

_CAUSES = ("guest", "checkin")


class Notification(msgspec.Struct, frozen=True):
    to: str
    subject: str
    body: str


def sender() -> str:
    return get_settings().ses_sender


def action_of(entry: HistoryEntry) -> str | None:
    """What the guest did, in words, or None when the change is not a guest action."""
    if entry.cause not in _CAUSES:
        return None
    if entry.cause == "checkin":
        if entry.new_status == "attended":
            return f"was checked in at the door ({entry.cause_ref or 'unknown device'})"
        if entry.old_status == "attended":
            return f"had the check-in annulled ({entry.cause_ref or 'unknown device'})"
        return None
    return {
        "visit": "opened the personal invitation",
        "booking": "booked (waiting list)" if entry.new_status == "waitlisted" else "booked",
        "decline": "declined the invitation",
        "cancel": "cancelled the booking",
    }.get(entry.cause_ref or "", f"changed to {entry.new_status}")


def recipient(account_manager: object, email_of_account: Callable[[str], str | None] | None = None) -> str | None:
    """The manager's address: the field holds an email, or an account's username whose email
    `email_of_account` looks up (None: such managers get no mail)."""
    if not isinstance(account_manager, str) or not account_manager.strip():
        return None
    if "@" not in account_manager:
        return email_of_account(account_manager.strip()) if email_of_account else None
    address = account_manager.strip()
    return address if " " not in address and address.count("@") == 1 else None


def message_for(entry: HistoryEntry, image: dict | None,
                email_of_account: Callable[[str], str | None] | None = None) -> Notification | None:
    """The mail this history entry owes the contact's account manager, or None."""
    action = action_of(entry)
    to = recipient((image or {}).get("account_manager"), email_of_account) if action else None
    if action is None or to is None:
        return None
    image = image or {}
    name = " ".join(str(image[k]) for k in ("firstname", "lastname") if image.get(k)) or entry.identifier
    organisation = f" ({image['organization']})" if image.get("organization") else ""
    subject = f"{name} {action}"
    body = (f"{name}{organisation} {action}.\n\n"
            f"Event: {entry.event_id}\n"
            f"Guest: {entry.identifier}\n"
            f"Status: {entry.old_status or '-'} -> {entry.new_status}\n"
            f"When: {entry.changed_at}\n\n"
            "You receive this because you are this guest's account manager.\n")
    return Notification(to=to, subject=subject[:200], body=body)


def send(notification: Notification, *, client=None) -> str:
    """Send through `guestlist.mail`; returns `sent:{message_id}`, or `rejected:{reason}` for a permanent refusal.

    Transient errors (throttling, outages) raise, so the stream record is retried.
    """
    try:
        sent = mail.send(mail.Mail(to=notification.to, subject=notification.subject, text=notification.body,
                                   sender=sender()), client=client)
    except mail.PermanentSendError as exc:
        return f"rejected:{exc.reason}"
    return f"sent:{sent.message_id}"
