"""Which status change owes the guest which transactional message (pure rule)."""

from __future__ import annotations

import pytest

from guestlist.guest_mail import kind_for
from guestlist.history import HistoryEntry


def entry(old, new, cause, ref=None) -> HistoryEntry:
    return HistoryEntry("C#e#x", "e", "x", old, new, "2027-01-01T00:00:00.000Z", 2, cause, ref)


@pytest.mark.parametrize(("old", "new", "cause", "ref", "kind"), [
    ("accessed", "registered", "guest", "booking", "booking_confirmed"),
    ("open", "registered", "organiser", "key-1", "booking_confirmed"),
    ("accessed", "waitlisted", "guest", "booking", "waitlisted"),
    ("waitlisted", "registered", "system", "waitlist_promotion", "promoted"),
    ("registered", "unregistered", "guest", "cancel", "cancelled"),
    ("waitlisted", "unregistered", "guest", "cancel", "cancelled"),
    ("registered", "unregistered", "organiser", "key-1", "unregistered"),
    ("open", "unregistered", "organiser", "key-1", "unregistered"),
    ("accessed", "unregistered", "guest", "decline", None),
    ("open", "accessed", "guest", "visit", None),
    ("registered", "attended", "checkin", "door-1", None),
    ("attended", "registered", "checkin", "door-1", None),
    (None, "open", "import", "imp-1", None),
    ("open", "deleted", "organiser", None, None),
])
def test_each_change_owes_at_most_one_kind(old, new, cause, ref, kind):
    assert kind_for(entry(old, new, cause, ref)) == kind
