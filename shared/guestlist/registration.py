"""Public registration (DESIGN.md s10): `/r/{event_id}` for events with a group open to the public.

No enumeration: whether the email is new or already a contact, the caller gets the same
202 and the address gets one mail with its own personal link; a known contact is never
changed or duplicated. Both paths make the same storage calls in the same order (one
transaction attempt, one read of the contact, one mail), so their timing matches as far
as it can. Requests are counted per client address and event in a DynamoDB counter item
(conditional increment, TTL), so the limit holds across Lambda instances.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from functools import partial

from pynamodb.exceptions import TransactWriteError, UpdateError

from . import forms, storage
from .bookings import group_seat
from .clock import now_iso
from .codes import Code
from .contacts import _new_contact, personal_link
from .errors import InvalidRequest, NotFound, TooManyRequests
from .events import event_form, event_json, get_event, public_group
from .fields import PROFILE_FIELDS, normalise_email, normalise_identifier
from .guest import guest_event
from .guest_state import load_state_by_pk
from .models import BOOKING_SK_PREFIX, BookingModel, Cause, ContactModel, EventModel, RateLimitModel, contact_pk
from .retry import CONDITION_FAILED, cancellation_codes, condition_failed, retrying
from .secret import link_secret
from .settings import get_settings
from .tokens import digest, ticket_code

CAUSE = Cause(kind="guest", ref="public_registration")


def open_event(event_id: str) -> tuple[EventModel, dict]:
    """The event and its public group; an unknown or closed event is the same 404."""
    try:
        event = get_event(event_id)
    except NotFound:
        raise NotFound(Code.EVENT_NOT_FOUND, "no public registration here") from None
    group = public_group(event)
    if group is None:
        raise NotFound(Code.EVENT_NOT_FOUND, "no public registration here")
    return event, group


def check_rate(event_id: str, client_ip: str, *, now: float | None = None) -> None:
    """At most `registration_limit` requests per (event, client address) per window, across instances.

    The counter item is keyed by a digest of the address (no address stored) and expires
    by TTL a window after its own ends.
    """
    settings = get_settings()
    moment = int(now if now is not None else time.time())
    window = settings.registration_window_seconds
    start = moment - moment % window
    address = hashlib.sha256(f"{event_id}|{client_ip}".encode()).hexdigest()[:32]
    item = RateLimitModel(pk=f"RATE#{event_id}#{address}", sk=f"WINDOW#{start}")
    try:
        item.update(actions=[RateLimitModel.hits.add(1), RateLimitModel.expires_at.set(start + 2 * window)],
                    condition=RateLimitModel.hits.does_not_exist() | (RateLimitModel.hits < settings.registration_limit))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise TooManyRequests(Code.RATE_LIMITED, "too many registrations from this address; try again later",
                                  {"retry_after": start + window - moment}) from exc
        raise


def register(event_id: str, body: dict, client_ip: str, *, html: bool = False) -> None:
    """Validate, then either create the contact with a booking or find the existing one; mail the link.

    Validation refusals (a bad email, a missing required answer) do not depend on whether
    the email is known, so they reveal nothing.
    """
    event, group = open_event(event_id)
    check_rate(event_id, client_ip)
    fields = {k: v for k, v in body.items() if k not in ("email", "language", "lang")}
    raw_email = body.get("email")
    if not isinstance(raw_email, str) or not raw_email.strip():
        raise InvalidRequest(Code.MISSING_FIELD, "field 'email' is required", {"field": "email"})
    try:
        email = normalise_email(raw_email)
    except ValueError as exc:
        raise InvalidRequest(Code.INVALID_EMAIL, f"field 'email': {exc}", {"field": "email"}) from None
    language = str(body.get("language") or body.get("lang") or "").strip().lower()[:2]
    if language not in event.languages:
        language = event.default_language
    form = event_form(event)
    if any(f["id"] == "email" for f in form):
        fields["email"] = email
    answers = forms.validate_answers(form, fields, region=event.country or "CH", html=html)
    profile, custom = forms.split_answers(answers)
    profile = {**profile, "email": email, "language": language, "permission_group": group["name"]}
    identifier = normalise_identifier(email)
    _create_or_find(event, identifier, profile, custom, answers)
    _mail_link(event, identifier)


def _create_or_find(event: EventModel, identifier: str, profile: dict, custom: dict, answers: dict) -> str:
    """'created' (confirmed, or waitlisted when the event or the group is full) or 'existing'."""
    now = now_iso()
    contact = _new_contact(event, identifier, profile, custom, groups=[], cause=CAUSE, origin=None, now=now)
    bid = f"bk-{secrets.token_hex(8)}"
    booking = BookingModel(pk=contact.pk, sk=f"{BOOKING_SK_PREFIX}{bid}", booking_id=bid, event_id=event.event_id,
                           identifier=identifier, status="confirmed",
                           ticket_hash=digest(ticket_code(link_secret(), event.event_id, bid)), answers=answers,
                           created_at=now, updated_at=now, permission_group=profile["permission_group"])
    def attempt(seated: bool) -> str | None:
        if seated:
            contact.confirmed_count, contact.status = 1, "registered"
        else:
            contact.confirmed_count, contact.waitlisted_count, contact.status = 0, 1, "waitlisted"
            booking.status, booking.waitlist_event = "waitlisted", event.event_id
            booking.waitlist_at = f"{now}#{bid}"
        try:
            with storage.transaction(ContactModel) as tx:
                tx.save(contact, condition=ContactModel.pk.does_not_exist())
                tx.save(booking, condition=BookingModel.pk.does_not_exist())
                if seated:
                    tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=[EventModel.confirmed_count.add(1)],
                              condition=EventModel.capacity.does_not_exist() | (EventModel.confirmed_count < EventModel.capacity))
                    group_seat(tx, event.event_id, booking.permission_group, 1)
            return "created"
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise  # transient ones are tried again by the retry helper
            reasons = cancellation_codes(exc)
            if reasons and reasons[0] == CONDITION_FAILED:
                return "existing"  # already a contact: nothing of it changes
            return None  # no seat (the event's or the group's): waitlisted instead

    for seated in (True, False):
        outcome = retrying(partial(attempt, seated), what="public registration")
        if outcome is not None:
            return outcome
    return "existing"


def _mail_link(event: EventModel, identifier: str) -> None:
    """The contact's own link, in its language, through the one sending path."""
    # cold start: the guest API composes mail only here (the email package and the templates load with it)
    from . import mail, transactional
    from .notifications import sender

    state = load_state_by_pk(contact_pk(event.event_id, identifier))
    if state is None:
        return
    contact = {name: getattr(state.contact, name) for name in PROFILE_FIELDS}
    message = transactional.compose("personal_link", event=event_json(event), contact=contact,
                                    link=personal_link(state.contact), sender=sender())
    if message is None:
        return
    try:
        mail.send_with_backoff(message, deadline=time.monotonic() + 5)
    except mail.SendError:
        # The answer must not differ (no enumeration), and the guest can register again to get a new mail.
        from aws_lambda_powertools import Logger

        Logger(service="guestlist").warning("public registration link mail not sent", extra={"event_id": event.event_id})


def public_event_json(event: EventModel) -> dict:
    """What the public page shows: the event as guests see it (never the join URL), no contact."""
    return {"event": guest_event(event), "registration": {"fields": ["email", "language"] + [f["id"] for f in event_form(event)]}}
