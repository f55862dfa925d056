"""Contact statuses (seed 000, "Statut du contact") and the one rule that derives them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ContactModel


class Status(StrEnum):
    OPEN = "open"                    # Ouvert: created, link never used
    ACCESSED = "accessed"            # Accédé: the guest has used the link
    REGISTERED = "registered"        # Inscrit: has a confirmed booking
    UNREGISTERED = "unregistered"    # Désinscrit: declined, or every booking cancelled
    WAITLISTED = "waitlisted"        # En attente: only waitlist bookings
    ATTENDED = "attended"            # Participé: a valid booking, checked in


def derive_status(
    *,
    accessed: bool,
    declined: bool,
    confirmed: int,
    waitlisted: int,
    attended: int,
    cancelled: int = 0,
) -> Status:
    """Status is derived from facts, never set freely: check-in beats booking beats access."""
    if attended > 0:
        return Status.ATTENDED
    if confirmed > 0:
        return Status.REGISTERED
    if waitlisted > 0:
        return Status.WAITLISTED
    if declined or cancelled > 0:
        return Status.UNREGISTERED
    if accessed:
        return Status.ACCESSED
    return Status.OPEN


def status_after(contact: ContactModel, *, d_confirmed: int = 0, d_waitlisted: int = 0, d_attended: int = 0,
                 d_cancelled: int = 0, declined: bool | None = None) -> Status:
    """The contact's status once a change moves its counters by these deltas (`declined` None: as it is).

    `d_cancelled` counts the bookings the change cancels: a guest left with nothing active is unregistered."""
    return derive_status(
        accessed=bool(contact.accessed_at),
        declined=bool(contact.declined_at) if declined is None else declined,
        confirmed=int(contact.confirmed_count or 0) + d_confirmed,
        waitlisted=int(contact.waitlisted_count or 0) + d_waitlisted,
        attended=max(0, int(contact.attended_count or 0) + d_attended),
        cancelled=d_cancelled,
    )
