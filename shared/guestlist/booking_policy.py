"""Booking decisions without storage: the booking limit, the counters a cancellation moves, and
whether a seat given back goes to the waiting list. bookings.py applies them in its transactions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from .models import BookingModel, EventModel

ACTIVE = ("confirmed", "waitlisted")


def booking_limit(event: EventModel) -> int:
    """How many active (confirmed or waitlisted) bookings one guest may hold at this event."""
    return int(event.max_bookings_per_contact or 1)


def may_book_more(event: EventModel, bookings: Iterable[BookingModel]) -> bool:
    """The booking limit: the guest holds fewer active bookings than the event allows."""
    return sum(1 for b in bookings if b.status in ACTIVE) < booking_limit(event)


class Deltas(msgspec.Struct, frozen=True):
    """How a change moves the contact's counters; `cancelled` counts the bookings it cancels."""

    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0


def cancellation_deltas(statuses: Iterable[str]) -> Deltas:
    """Cancelling active bookings of these statuses (confirmed or waitlisted): each leaves its counter
    and counts as cancelled (a guest left with nothing active is unregistered)."""
    cancelled = list(statuses)
    confirmed = cancelled.count("confirmed")
    return Deltas(confirmed=-confirmed, waitlisted=-(len(cancelled) - confirmed), cancelled=len(cancelled))


def promotes_on_cancel(event: EventModel, status: str) -> bool:
    """A cancelled confirmed booking's seat goes to the oldest waiting guest when the event promotes automatically."""
    return status == "confirmed" and bool(event.waitlist_auto_promote)
