"""Booking decisions without storage: the booking limit, a cancellation's counter deltas, promotion on
cancel, and the contact's status after a change (status.status_after)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guestlist.booking_policy import Deltas, booking_limit, cancellation_deltas, may_book_more, promotes_on_cancel
from guestlist.status import Status, status_after


def event(**fields):
    return SimpleNamespace(**{"max_bookings_per_contact": None, "waitlist_auto_promote": False, **fields})


def bookings(*statuses):
    return [SimpleNamespace(status=s) for s in statuses]


def contact(**fields):
    return SimpleNamespace(**{"accessed_at": None, "declined_at": None, "confirmed_count": None,
                              "waitlisted_count": None, "attended_count": None, **fields})


def test_booking_limit_is_one_unless_the_event_allows_more():
    assert booking_limit(event()) == 1
    assert booking_limit(event(max_bookings_per_contact=3)) == 3


def test_only_active_bookings_count_against_the_limit():
    assert may_book_more(event(), bookings())
    assert may_book_more(event(), bookings("cancelled", "cancelled"))
    assert not may_book_more(event(), bookings("confirmed"))
    assert not may_book_more(event(), bookings("waitlisted"))
    assert may_book_more(event(max_bookings_per_contact=2), bookings("confirmed", "cancelled"))
    assert not may_book_more(event(max_bookings_per_contact=2), bookings("confirmed", "waitlisted"))


def test_cancelling_moves_each_booking_out_of_its_counter_and_counts_it_cancelled():
    assert cancellation_deltas(["confirmed"]) == Deltas(confirmed=-1, waitlisted=0, cancelled=1)
    assert cancellation_deltas(["waitlisted"]) == Deltas(confirmed=0, waitlisted=-1, cancelled=1)
    assert cancellation_deltas(iter(["confirmed", "waitlisted", "confirmed"])) == Deltas(-2, -1, 3)
    assert cancellation_deltas([]) == Deltas()


@pytest.mark.parametrize(("auto", "status", "promotes"), [
    (True, "confirmed", True), (True, "waitlisted", False), (False, "confirmed", False), (None, "confirmed", False),
])
def test_a_freed_seat_goes_to_the_waiting_list_only_from_a_confirmed_booking_with_auto_promotion(auto, status, promotes):
    assert promotes_on_cancel(event(waitlist_auto_promote=auto), status) is promotes


def test_status_after_a_booking_and_its_cancellation():
    accessed = contact(accessed_at="2027-01-01T00:00:00Z")
    assert status_after(accessed) == Status.ACCESSED
    assert status_after(accessed, d_confirmed=1, declined=False) == Status.REGISTERED
    assert status_after(accessed, d_waitlisted=1) == Status.WAITLISTED
    booked = contact(accessed_at="x", confirmed_count=1)
    assert status_after(booked, d_confirmed=-1, d_cancelled=1) == Status.UNREGISTERED
    two = contact(confirmed_count=1, waitlisted_count=1)
    assert status_after(two, d_confirmed=-1, d_cancelled=1) == Status.WAITLISTED  # something is still active


def test_declining_and_booking_again_clear_or_set_the_declined_fact():
    declined = contact(declined_at="x")
    assert status_after(declined) == Status.UNREGISTERED
    assert status_after(declined, d_confirmed=1, declined=False) == Status.REGISTERED
    assert status_after(contact(), declined=True) == Status.UNREGISTERED


def test_annulling_the_only_check_in_goes_back_to_registered_and_never_below_zero():
    attended = contact(confirmed_count=1, attended_count=1)
    assert status_after(attended) == Status.ATTENDED
    assert status_after(attended, d_attended=-1) == Status.REGISTERED
    assert status_after(contact(confirmed_count=1, attended_count=0), d_attended=-1) == Status.REGISTERED
