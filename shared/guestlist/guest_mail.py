"""Transactional messages to guests from the contacts stream: at most once per status change.

Which change owes which message is a pure rule (`kind_for`). Sending is guarded by a
marker keyed like the history entry (contact, `{updated_at}#{version}`), written with a
condition *before* the SES/SNS call:

- marker absent -> claimed (`pending`), then sent, then `sent`/`failed`;
- a throttled or unreachable SES leaves the message certainly unsent: the marker goes to
  `retry` and the record fails, so the stream's redelivery claims it again;
- a marker found `pending` means an earlier delivery died between the claim and the
  outcome: the mail may or may not be out. We choose at-most-once: it is not sent again
  and stays `pending`, visible in `pending_mails` (a guest never gets two confirmations;
  the rare lost one is reported, and the guest page always shows the booking).
"""

from __future__ import annotations

import msgspec
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from . import mail, transactional
from .clock import now_iso
from .fields import PROFILE_FIELDS
from .history import HistoryEntry
from .models import GuestMailModel
from .notifications import sender
from .retry import condition_failed, retrying
from .settings import get_settings

# The organiser's unregister and cancel both end in `unregistered` with cause organiser.
_GUEST_CANCEL = ("guest", "cancel")
_PROMOTION = ("system", "waitlist_promotion")


def kind_for(entry: HistoryEntry) -> str | None:
    """The transactional message a status change owes the guest, or None (visits, check-ins, declines, imports)."""
    old, new, cause = entry.old_status, entry.new_status, (entry.cause, entry.cause_ref)
    if new == "registered" and old == "waitlisted" and cause == _PROMOTION:
        return "promoted"
    if new == "registered" and old in (None, "open", "accessed", "unregistered", "waitlisted"):
        return "booking_confirmed"
    if new == "waitlisted" and old != "waitlisted":
        return "waitlisted"
    if new == "unregistered" and old in ("registered", "waitlisted", "attended"):
        if entry.cause == "organiser":
            return "unregistered"
        if cause == _GUEST_CANCEL:
            return "cancelled"
    if new == "unregistered" and entry.cause == "organiser" and old in ("open", "accessed"):
        return "unregistered"
    return None


class Outcome(msgspec.Struct, frozen=True):
    state: str  # sent | failed | skipped | duplicate | pending
    kind: str
    reason: str | None = None


def _marker_pk(entry: HistoryEntry) -> str:
    return f"MAIL#{entry.pk}"


def claim(entry: HistoryEntry, kind: str) -> str:
    """Claim the right to send: 'claimed', or the state that stops us (pending, sent, failed, skipped)."""
    marker = GuestMailModel(pk=_marker_pk(entry), sk=entry.sk, kind=kind, state="pending", claimed_at=now_iso())
    try:
        retrying(lambda: marker.save(condition=GuestMailModel.pk.does_not_exist()), what="mail marker")
        return "claimed"
    except PutError as exc:
        if not condition_failed(exc):
            raise
    try:  # a certainly-unsent message may be claimed again
        retrying(lambda: marker.update(actions=[GuestMailModel.state.set("pending"), GuestMailModel.attempts.add(1),
                                                GuestMailModel.claimed_at.set(now_iso())],
                                       condition=GuestMailModel.state == "retry"), what="mail marker")
        return "claimed"
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    existing = GuestMailModel.get(_marker_pk(entry), entry.sk, consistent_read=True)
    return existing.state


def settle(entry: HistoryEntry, state: str, *, channel: str | None = None, message_id: str | None = None,
           reason: str | None = None) -> None:
    """Record the outcome of a claimed send (only a pending marker changes)."""
    actions: list[Action] = [GuestMailModel.state.set(state)]
    actions += [getattr(GuestMailModel, name).set(value)
                for name, value in (("channel", channel), ("message_id", message_id), ("reason", reason)) if value]
    try:
        retrying(lambda: GuestMailModel(pk=_marker_pk(entry), sk=entry.sk).update(
            actions=actions, condition=GuestMailModel.state == "pending"), what="mail marker")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def compose_for(entry: HistoryEntry, kind: str):
    """The message from the contact's current state (its current link, its confirmed booking's ticket)."""
    # cold start: the history function imports this module; these (the contacts' and events' rules
    # and the booking models) load with the first message it composes
    from .bookings import ticket_for
    from .contacts import personal_link
    from .events import event_json, get_event_cached
    from .guest_state import load_state_by_pk

    state = load_state_by_pk(entry.pk)
    if state is None:
        return None
    event = event_json(get_event_cached(entry.event_id))
    contact = {name: getattr(state.contact, name) for name in PROFILE_FIELDS}
    confirmed = [b for b in state.bookings if b.status == "confirmed"]
    ticket = ticket_for(confirmed[-1]) if confirmed and kind in ("booking_confirmed", "promoted") else None
    message = transactional.compose(kind, event=event, contact=contact, link=personal_link(state.contact),
                                    ticket_code=ticket, sender=sender())
    if isinstance(message, mail.Mail) and get_settings().ses_configuration_set:
        message = msgspec.structs.replace(message, configuration_set=get_settings().ses_configuration_set)  # bounces are reported
    return message


def deliver(entry: HistoryEntry, *, deadline: float | None = None) -> Outcome | None:
    """Send the message this change owes, at most once. Raises RetryableSendError (marker back to
    `retry`) so the stream redelivers; everything else ends in a recorded outcome."""
    kind = kind_for(entry)
    if kind is None:
        return None
    state = claim(entry, kind)
    if state != "claimed":
        return Outcome("duplicate" if state != "pending" else "pending", kind)
    try:
        message = compose_for(entry, kind)
    except Exception:
        settle(entry, "retry", reason="compose_failed")  # nothing went out: the redelivery may claim it
        raise
    if message is None:
        settle(entry, "skipped", reason="no_address")
        return Outcome("skipped", kind, "no_address")
    try:
        sent = mail.send_with_backoff(message, deadline=deadline)
    except mail.RetryableSendError as exc:
        settle(entry, "retry", reason=exc.reason)
        raise
    except mail.PermanentSendError as exc:
        settle(entry, "failed", reason=exc.reason)
        return Outcome("failed", kind, exc.reason)
    settle(entry, "sent", channel=sent.channel, message_id=sent.message_id)
    return Outcome("sent", kind)


def mails_of(contact_pk: str) -> list[dict]:
    """The transactional messages of a contact with their states (pending ones are the unconfirmed)."""
    return [{"key": m.sk, "kind": m.kind, "state": m.state, "channel": m.channel, "reason": m.reason,
             "attempts": int(m.attempts)} for m in GuestMailModel.query(f"MAIL#{contact_pk}", consistent_read=True)]
