"""Organiser bookings (DESIGN.md section 4: "inscrit / désinscrit par l'administrateur")."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from .limits import Answers


class OrganiserBookingIn(Struct, forbid_unknown_fields=True):
    """`confirmed` beyond capacity is 409 `event_full` unless `over_capacity` (a deliberate overbooking)."""

    status: Literal["confirmed", "waitlisted"] = "confirmed"
    answers: Answers = {}
    over_capacity: bool = False


class Booking(Struct):
    booking_id: str
    status: Literal["confirmed", "waitlisted", "cancelled"]
    ticket_code: str | None
    created_at: str
    checked_in_at: str | None
    answers: dict
    over_capacity: bool


class Unregistered(Struct):
    identifier: str
    status: str
    bookings: list[Booking]
