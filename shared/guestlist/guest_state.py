"""A guest's state: the contact with its bookings, read in one strongly consistent Query of its partition.

Its own module, below `contacts`: scanning at the door, booking and the history's mails read a
guest's state without the contact management (links, imports, listing) and the events' rules
that `contacts` brings (cold start of the check-in function, DESIGN.md s9).
"""

from __future__ import annotations

import msgspec

from . import storage
from .models import BOOKING_SK_PREFIX, CONTACT_SK, BookingModel, ContactModel


class GuestState(msgspec.Struct):
    """A contact with its bookings: everything one Query of its partition returns."""

    contact: ContactModel
    bookings: list[BookingModel] = msgspec.field(default_factory=list)


def load_state_by_pk(pk: str) -> GuestState | None:
    """The contact and its bookings in one strongly consistent Query of their partition."""
    contact, bookings = None, []
    last_key = None
    while True:
        page = storage.query_page(ContactModel, pk, consistent_read=True, exclusive_start_key=last_key)
        for raw in page.get("Items", []):
            sk = raw["sk"]["S"]
            if sk == CONTACT_SK:
                contact = ContactModel.from_raw_data(raw)
            elif sk.startswith(BOOKING_SK_PREFIX):
                bookings.append(BookingModel.from_raw_data(raw))
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            break
    if contact is None:
        return None
    bookings.sort(key=lambda b: b.created_at)
    return GuestState(contact, bookings)
