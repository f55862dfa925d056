"""Organiser API: book, waitlist, cancel and unregister a contact (history cause `organiser`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router

from guestlist.api import organiser_cause, organiser_event
from guestlist.codes import Code
from guestlist.edge import Edge
from guestlist.errors import NotFound
from guestlist.fields import normalise_identifier
from guestlist.lean_imports import on_first_use
from guestlist.models.base import contact_pk
from guestlist.schemas.bookings import Booking, OrganiserBookingIn, Unregistered

if TYPE_CHECKING:
    from guestlist.guest_state import GuestState
    from guestlist.models import EventModel

# the booking rules and the guest state read: imported by the first booking request
bookings = on_first_use("guestlist.bookings")
guest_state = on_first_use("guestlist.guest_state")

router = Router()
edge = Edge(router, tag="bookings")


def _guest(event_id: str, identifier: str) -> tuple[EventModel, GuestState]:
    event = organiser_event(router, event_id)
    state = guest_state.load_state_by_pk(contact_pk(event_id, normalise_identifier(identifier)))
    if state is None:
        raise NotFound(Code.CONTACT_NOT_FOUND, "no contact with this identifier in this event")
    return event, state


@edge.post("/events/<event_id>/contacts/<identifier>/bookings", body=OrganiserBookingIn, status=201, response=Booking,
           errors=(404, 409), summary="Book a contact (or put it on the waitlist)",
           description="`confirmed` beyond capacity is 409 `event_full` unless `over_capacity` is true; "
                       "the form's required fields do not block an organiser's booking.")
def book(event_id: str, identifier: str, body: OrganiserBookingIn):
    event, state = _guest(event_id, identifier)
    ref = "over_capacity" if body.over_capacity else "booking"
    answers = {k: v for k, v in body.answers.items() if v is not None}
    booking = bookings.book(event, state, answers, cause=organiser_cause(router, ref), want=body.status,
                            over_capacity=body.over_capacity and body.status == "confirmed")
    return bookings.booking_json(booking)


@edge.post("/events/<event_id>/contacts/<identifier>/bookings/<booking_id>/cancel", response=Booking, errors=(404, 409),
           summary="Cancel a contact's booking", description="Promotes the waitlist like a guest's cancel.")
def cancel(event_id: str, identifier: str, booking_id: str):
    event, state = _guest(event_id, identifier)
    return bookings.booking_json(bookings.cancel(event, state, booking_id, by_organiser=True))


@edge.post("/events/<event_id>/contacts/<identifier>/unregister", response=Unregistered, errors=(404, 409),
           summary="Unregister a contact", description="Every booking cancelled; the status becomes `unregistered`.")
def unregister(event_id: str, identifier: str):
    event, state = _guest(event_id, identifier)
    state = bookings.unregister(event, state, organiser_cause(router, "unregister"))
    return {"identifier": state.contact.identifier, "status": state.contact.status,
            "bookings": [bookings.booking_json(b) for b in state.bookings]}
