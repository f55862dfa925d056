"""Bookings from a personal link: book, cancel, decline — capacity-safe under any concurrency.

Seats are a conditional counter on the event item, moved in the same transaction as the
booking and the contact (whose `version` guards its derived status), so confirmed
bookings never exceed capacity and nothing is read-modify-written without a condition.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from typing import NoReturn, TypeVar

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from . import storage
from .booking_policy import ACTIVE, booking_limit, cancellation_deltas, may_book_more, promotes_on_cancel
from .clock import now_iso
from .codes import Code
from .errors import Conflict, Forbidden, NotFound
from .guest_state import GuestState, load_state_by_pk
from .models import (
    BOOKING_SK_PREFIX,
    CONTACT_SK,
    BookingModel,
    Cause,
    ContactModel,
    EventModel,
    GroupSeatModel,
    plain,
)
from .retry import Again, condition_failed, retrying
from .secret import link_secret
from .status import status_after
from .tokens import digest, ticket_code

T = TypeVar("T")


def ticket_for(booking: BookingModel) -> str:
    return ticket_code(link_secret(), booking.event_id, booking.booking_id)


def _contact_update(tx: TransactWrite, contact: ContactModel, cause: Cause, *, d_confirmed=0, d_waitlisted=0,
                    d_cancelled=0, declined_at: str | None = None, clear_declined=False, fields: tuple[dict, dict] | None = None) -> None:
    """The contact's counters and derived status, guarded by its version; `fields` = (profile, custom)
    answers stored with the booking, in the same transaction, so a refused booking changes nothing."""
    now = now_iso()
    status = status_after(contact, d_confirmed=d_confirmed, d_waitlisted=d_waitlisted, d_cancelled=d_cancelled,
                          declined=True if declined_at else (False if clear_declined else None)).value
    actions: list[Action] = [ContactModel.status.set(status), ContactModel.version.add(1), ContactModel.updated_at.set(now),
               ContactModel.last_cause.set(cause)]
    if d_confirmed:
        actions.append(ContactModel.confirmed_count.add(d_confirmed))
    if d_waitlisted:
        actions.append(ContactModel.waitlisted_count.add(d_waitlisted))
    if declined_at:
        actions.append(ContactModel.declined_at.set(declined_at))
    if clear_declined and contact.declined_at:
        actions.append(ContactModel.declined_at.remove())
    if fields:
        profile, custom = fields
        actions += [getattr(ContactModel, name).set(value) for name, value in profile.items()]
        if custom and contact.custom is None:
            actions.append(ContactModel.custom.set(custom))
        else:
            actions += [ContactModel.custom[name].set(value) for name, value in custom.items()]
    tx.update(ContactModel(pk=contact.pk, sk=CONTACT_SK), actions=actions, condition=ContactModel.version == contact.version)


def _retrying_with(state: GuestState, attempt: Callable[[GuestState], T], what: str) -> T:
    """`attempt(state)` through the retry helper, with the guest read again before every retry."""
    first = True

    def run() -> T:
        nonlocal state, first
        if not first:
            state = _reload(state.contact)
        first = False
        return attempt(state)

    return retrying(run, what=what)


def _answer_or_again(exc: TransactWriteError) -> NoReturn:
    """A failed condition means this attempt read a guest that has changed since: read again, try again.
    Anything else is retried by the helper when transient, else it propagates."""
    if condition_failed(exc):
        raise Again("the guest changed meanwhile") from exc
    raise exc


def group_seat(tx: TransactWrite, event_id: str, group: str | None, delta: int, *, check: bool = True) -> None:
    """Move a permission group's confirmed count in the caller's transaction; taking a seat is
    conditional on the group's capacity (kept on the same item), so a group is never overbooked."""
    if not group:
        return
    item = GroupSeatModel(pk=f"EVENT#{event_id}", sk=f"GROUPSEAT#{group}")
    if delta > 0 and check:
        tx.update(item, actions=[GroupSeatModel.confirmed.add(delta)],
                  condition=GroupSeatModel.capacity.does_not_exist() | (GroupSeatModel.confirmed < GroupSeatModel.capacity))
    else:
        tx.update(item, actions=[GroupSeatModel.confirmed.add(delta)])


def _group_full(event: EventModel, group: str | None) -> bool:
    if not group:
        return False
    try:
        seat = GroupSeatModel.get(event.pk, f"GROUPSEAT#{group}", consistent_read=True)
    except GroupSeatModel.DoesNotExist:
        return False
    return seat.capacity is not None and int(seat.confirmed or 0) >= int(seat.capacity)


def book(event: EventModel, state: GuestState, answers: dict, *, booking_id: str | None = None,
         cause: Cause | None = None, want: str | None = None, over_capacity: bool = False,
         fields: tuple[dict, dict] | None = None) -> BookingModel:
    """Confirmed while seats last (the event's and the guest's permission group's), else waitlisted.
    Lost races and conflicts are tried again.

    `fields` (profile, custom) are the answers the contact keeps; they are written in the
    booking's transaction, so any refusal leaves the contact as it was.

    An organiser may ask for a status (`want`): `waitlisted` puts the booking on the waitlist
    whatever the seats; `confirmed` is 409 `event_full` when no seat is left, unless
    `over_capacity` (a deliberate overbooking: the seat is taken without the capacity
    condition, and the booking records it). The booking id is fixed before the first attempt:
    an attempt that finds it stored (an earlier one's outcome was unknown) returns it instead
    of booking a second seat.
    """
    cause = cause or Cause(kind="guest", ref="booking")
    bid = booking_id or f"bk-{secrets.token_hex(8)}"

    def attempt(state: GuestState) -> BookingModel:
        stored = next((b for b in state.bookings if b.booking_id == bid), None)
        if stored is not None:
            return stored
        contact = state.contact
        if not may_book_more(event, state.bookings):
            raise Conflict(Code.BOOKING_LIMIT, f"at most {booking_limit(event)} booking(s) per guest")
        now = now_iso()
        booking = BookingModel(pk=contact.pk, sk=f"{BOOKING_SK_PREFIX}{bid}", booking_id=bid, event_id=event.event_id,
                               identifier=contact.identifier, status="confirmed",
                               ticket_hash=digest(ticket_code(link_secret(), event.event_id, bid)),
                               answers=answers, created_at=now, updated_at=now, over_capacity=over_capacity or None,
                               permission_group=contact.permission_group or None)
        if want == "waitlisted":
            return _waitlist(event, state, booking, cause, fields)
        try:
            with storage.transaction(BookingModel) as tx:
                seat = EventModel.confirmed_count.add(1)
                condition = EventModel.capacity.does_not_exist() | (EventModel.confirmed_count < EventModel.capacity)
                tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=[seat], condition=None if over_capacity else condition)
                tx.save(booking, condition=BookingModel.pk.does_not_exist())
                _contact_update(tx, contact, cause, d_confirmed=1, clear_declined=True, fields=fields)
                group_seat(tx, event.event_id, booking.permission_group, 1, check=not over_capacity)
            return booking
        except TransactWriteError as exc:
            if not over_capacity and condition_failed(exc) and (_event_full(event) or _group_full(event, booking.permission_group)):
                if want == "confirmed":
                    raise Conflict(Code.EVENT_FULL, "no seat is left; book with over_capacity true to overbook") from exc
                return _waitlist(event, state, booking, cause, fields)
            _answer_or_again(exc)

    return _retrying_with(state, attempt, "booking")


def _event_full(event: EventModel) -> bool:
    """After a cancelled booking transaction: was it the seat counter? (A fresh, consistent read.)"""
    fresh = EventModel.get(event.pk, "EVENT", consistent_read=True, attributes_to_get=["capacity", "confirmed_count"])
    return fresh.capacity is not None and int(fresh.confirmed_count or 0) >= int(fresh.capacity)


def _waitlist(event: EventModel, state: GuestState, booking: BookingModel, cause: Cause,
              fields: tuple[dict, dict] | None = None) -> BookingModel:
    booking.status = "waitlisted"
    booking.waitlist_event = event.event_id
    booking.waitlist_at = f"{booking.created_at}#{booking.booking_id}"

    def attempt(state: GuestState) -> BookingModel:
        stored = next((b for b in state.bookings if b.booking_id == booking.booking_id), None)
        if stored is not None:
            return stored
        try:
            with storage.transaction(BookingModel) as tx:
                tx.save(booking, condition=BookingModel.pk.does_not_exist())
                _contact_update(tx, state.contact, cause, d_waitlisted=1, clear_declined=True, fields=fields)
            return booking
        except TransactWriteError as exc:
            _answer_or_again(exc)

    return _retrying_with(state, attempt, "waitlisting")


def cancel(event: EventModel, state: GuestState, booking_id: str, *, by_organiser: bool = False) -> BookingModel:
    if not by_organiser and not event.self_cancellation:
        raise Forbidden(Code.SELF_CANCELLATION_DISABLED, "this event does not allow guests to cancel; contact the organiser")

    def attempt(state: GuestState) -> BookingModel:
        booking = next((b for b in state.bookings if b.booking_id == booking_id), None)
        if booking is None:
            raise NotFound(Code.BOOKING_NOT_FOUND, "no such booking for this guest")
        if booking.status == "cancelled":
            return booking
        if booking.checked_in_at:
            raise Conflict(Code.ALREADY_CHECKED_IN, "a booking that was checked in cannot be cancelled")
        was = booking.status
        promoted = _oldest_waitlisted(event, exclude_pk=booking.pk) if promotes_on_cancel(event, was) else None
        cause = Cause(kind="organiser" if by_organiser else "guest", ref="cancel")
        now = now_iso()
        try:
            with storage.transaction(BookingModel) as tx:
                tx.update(booking, actions=[BookingModel.status.set("cancelled"), BookingModel.updated_at.set(now),
                                            BookingModel.waitlist_event.remove(), BookingModel.waitlist_at.remove()],
                          condition=BookingModel.status == was)
                deltas = cancellation_deltas([was])
                _contact_update(tx, state.contact, cause, d_confirmed=deltas.confirmed, d_waitlisted=deltas.waitlisted,
                                d_cancelled=deltas.cancelled)
                if was == "confirmed":
                    group_seat(tx, event.event_id, booking.permission_group, -1)
                    if promoted is None:
                        tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=[EventModel.confirmed_count.add(-1)])
                    else:
                        _promote_in(tx, *promoted, now)
            booking.status = "cancelled"
            return booking
        except TransactWriteError as exc:
            _answer_or_again(exc)

    return _retrying_with(state, attempt, "cancellation")


def _promote_in(tx: TransactWrite, w_booking: BookingModel, w_contact: ContactModel, now: str) -> None:
    """The waitlisted booking becomes confirmed (its event seat is moved by the caller, in the same
    transaction; its permission group's seat here)."""
    group_seat(tx, w_booking.event_id, w_booking.permission_group, 1)
    tx.update(w_booking, actions=[BookingModel.status.set("confirmed"), BookingModel.updated_at.set(now),
                                  BookingModel.waitlist_event.remove(), BookingModel.waitlist_at.remove()],
              condition=BookingModel.status == "waitlisted")
    _contact_update(tx, w_contact, Cause(kind="system", ref="waitlist_promotion"), d_confirmed=1, d_waitlisted=-1)


def promote_waitlist(event: EventModel, *, limit: int = 1000) -> int:
    """Seats freed (a raised capacity): confirm waitlisted bookings, oldest first, while seats last.

    Each promotion takes its seat with the booking's own transaction and the capacity
    condition, so a guest booking at the same moment never gets a seat past the waiting ones
    and the event is never overbooked. Returns how many were promoted.
    """

    def promote_one() -> bool:
        """True when the oldest waitlisted booking got a seat; False when none waits or no seat is left."""
        found = _oldest_waitlisted(event, exclude_pk="")
        if found is None:
            return False
        try:
            with storage.transaction(BookingModel) as tx:
                tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=[EventModel.confirmed_count.add(1)],
                          condition=EventModel.capacity.does_not_exist() | (EventModel.confirmed_count < EventModel.capacity))
                _promote_in(tx, *found, now_iso())
            return True
        except TransactWriteError as exc:
            if condition_failed(exc) and _event_full(event):
                return False
            if condition_failed(exc):
                raise Again("the waitlist changed meanwhile") from exc
            raise

    promoted = 0
    while promoted < limit and retrying(promote_one, what="waitlist promotion"):
        promoted += 1
    return promoted


def _oldest_waitlisted(event: EventModel, exclude_pk: str) -> tuple[BookingModel, ContactModel] | None:
    for key in BookingModel.by_waitlist.query(event.event_id, limit=10):
        if key.pk == exclude_pk:
            continue
        w_state = load_state_by_pk(key.pk)
        if w_state is None:
            continue
        w_booking = next((b for b in w_state.bookings if b.sk == key.sk and b.status == "waitlisted"), None)
        if w_booking is not None and not _group_full(event, w_booking.permission_group):
            return w_booking, w_state.contact
    return None


# Bookings cancelled in one transaction by `unregister`: with the contact, the event's seat counter and one
# seat item per permission group, within TransactWriteItems' 100 items.
UNREGISTER_CHUNK = 45


def unregister(event: EventModel, state: GuestState, cause: Cause) -> GuestState:
    """The organiser unregisters a contact: every active booking cancelled, then declined, so the
    status is `unregistered`. A checked-in booking is 409 `already_checked_in` before anything changes.

    A confirmed seat that goes to a waiting guest (auto promotion) is handed over in its own
    transaction, as a guest's cancel does; every other booking is cancelled with the others,
    a transaction per UNREGISTER_CHUNK, so the work grows with the bookings, not their square
    (the contact's partition is read again once per transaction, not once per booking)."""
    if any(b.status in ACTIVE and b.checked_in_at for b in state.bookings):
        raise Conflict(Code.ALREADY_CHECKED_IN, "a booking that was checked in cannot be cancelled")
    promoting = any(promotes_on_cancel(event, b.status) for b in state.bookings) \
        and _oldest_waitlisted(event, exclude_pk=state.contact.pk) is not None
    while active := [b for b in state.bookings if b.status in ACTIVE and not (promoting and b.status == "confirmed")]:
        _cancel_together(event, state, {b.booking_id for b in active[:UNREGISTER_CHUNK]}, cause)
        state = _reload(state.contact)
    for booking in [b for b in state.bookings if b.status == "confirmed"]:
        state = GuestState(_fresh_contact(state.contact), state.bookings)
        cancel(event, state, booking.booking_id, by_organiser=True)
    state = _reload(state.contact)
    decline(event, state, cause)
    return _reload(state.contact)


def _fresh_contact(contact: ContactModel) -> ContactModel:
    return ContactModel.get(contact.pk, CONTACT_SK, consistent_read=True)


def _cancel_together(event: EventModel, state: GuestState, booking_ids: set[str], cause: Cause) -> None:
    """These active bookings cancelled in one transaction: the contact's counters moved once, the seats
    of the confirmed ones given back to the event and their permission groups (nobody is promoted)."""

    def attempt(state: GuestState) -> None:
        chosen = [b for b in state.bookings if b.booking_id in booking_ids and b.status in ACTIVE]
        if not chosen:
            return
        if any(b.checked_in_at for b in chosen):
            raise Conflict(Code.ALREADY_CHECKED_IN, "a booking that was checked in cannot be cancelled")
        confirmed = [b for b in chosen if b.status == "confirmed"]
        seats = Counter(b.permission_group for b in confirmed if b.permission_group)
        now = now_iso()
        try:
            with storage.transaction(BookingModel) as tx:
                for booking in chosen:
                    tx.update(booking, actions=[BookingModel.status.set("cancelled"), BookingModel.updated_at.set(now),
                                                BookingModel.waitlist_event.remove(), BookingModel.waitlist_at.remove()],
                              condition=BookingModel.status == booking.status)
                deltas = cancellation_deltas(b.status for b in chosen)
                _contact_update(tx, state.contact, cause, d_confirmed=deltas.confirmed, d_waitlisted=deltas.waitlisted,
                                d_cancelled=deltas.cancelled)
                if confirmed:
                    tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=[EventModel.confirmed_count.add(-len(confirmed))])
                for group, count in seats.items():
                    group_seat(tx, event.event_id, group, -count)
        except TransactWriteError as exc:
            _answer_or_again(exc)

    _retrying_with(state, attempt, "unregistration")


def booking_json(booking: BookingModel) -> dict:
    return {
        "booking_id": booking.booking_id,
        "status": booking.status,
        "ticket_code": ticket_for(booking) if booking.status != "cancelled" else None,
        "created_at": booking.created_at,
        "checked_in_at": booking.checked_in_at,
        "answers": plain(booking.answers),
        "over_capacity": bool(booking.over_capacity),
    }


def decline(event: EventModel, state: GuestState, cause: Cause | None = None) -> None:
    """The guest declines: unregistered. Active bookings must be cancelled first."""
    cause = cause or Cause(kind="guest", ref="decline")

    def attempt(state: GuestState) -> None:
        if any(b.status in ACTIVE for b in state.bookings):
            raise Conflict(Code.HAS_BOOKING, "cancel your booking before declining")
        if state.contact.declined_at:
            return
        try:
            with storage.transaction(ContactModel) as tx:
                _contact_update(tx, state.contact, cause, declined_at=now_iso())
        except TransactWriteError as exc:
            _answer_or_again(exc)

    _retrying_with(state, attempt, "decline")


def _reload(contact: ContactModel) -> GuestState:
    state = load_state_by_pk(contact.pk)
    if state is None:
        raise NotFound(Code.LINK_NOT_FOUND, "this link is not valid")
    return state


def record_online_attendance(event: EventModel, state: GuestState) -> bool:
    """An online guest joined: their confirmed booking counts as checked in, once (cause `online`).

    One transaction like a door check-in (booking, contact, the event's check-in counter);
    the booking's condition makes a second join a no-op. Returns True when it recorded.
    """
    booking = next((b for b in state.bookings if b.status == "confirmed" and not b.checked_in_at), None)
    if booking is None:
        return False
    now = now_iso()

    def attempt() -> bool:
        try:
            _online_check_in(event, booking, now)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False  # joined before (or on another device at the same moment)
            raise
        return True

    return retrying(attempt, what="online attendance")


def _online_check_in(event: EventModel, booking: BookingModel, now: str) -> None:
    from .checkin import counter_key  # cold start: the guest and organiser APIs load the door module only here
    from .models import CheckinCounterModel  # and its models (models.door)

    with storage.transaction(BookingModel) as tx:
        tx.update(booking, actions=[BookingModel.checked_in_at.set(now), BookingModel.checkin_device.set("online"),
                                    BookingModel.checkin_received_at.set(now), BookingModel.updated_at.set(now)],
                  condition=BookingModel.checked_in_at.does_not_exist() & (BookingModel.status == "confirmed"))
        tx.update(ContactModel(pk=booking.pk, sk=CONTACT_SK), actions=[
            ContactModel.attended_count.add(1), ContactModel.status.set("attended"), ContactModel.version.add(1),
            ContactModel.updated_at.set(now), ContactModel.last_cause.set(Cause(kind="online", ref="join")),
            ContactModel.checked_in_at.set(ContactModel.checked_in_at | now),
        ], condition=ContactModel.pk.exists())
        tx.update(CheckinCounterModel(pk=counter_key(event.event_id, booking.pk)), actions=[CheckinCounterModel.checked_in.add(1)])
