"""Contact statuses (seed 000, "Statut du contact") and the one rule that derives them."""

from __future__ import annotations

from enum import StrEnum


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
