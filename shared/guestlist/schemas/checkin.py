"""Check-in: what a door device sends and gets back (DESIGN.md section 4, pretix-like answers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from .limits import DateTime, Error

TicketCode = Annotated[str, Meta(min_length=1, max_length=256, description="What the ticket's QR code holds.")]
Nonce = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:\-]{1,128}$",
                            description="The scan's idempotency key: the same nonce again is the same scan.")]
Device = Annotated[str, Meta(max_length=64, description="The door device's name.")]
ScanResult = Literal["ok", "duplicate", "rejected", "annulled"]


class ScanIn(Struct, forbid_unknown_fields=True):
    code: TicketCode
    nonce: Nonce | None = None
    scanned_at: DateTime | None = None
    device: Device | None = None


class BatchIn(Struct, forbid_unknown_fields=True):
    """Offline scans; each is checked on its own and answered at its index (a bad one does not sink the rest)."""

    scans: Annotated[list[Any], Meta(description="Scans as in POST /checkins, each with a nonce; at most 500 "
                                                 "(422 `batch_too_large`).")]


class AnnulIn(Struct, forbid_unknown_fields=True):
    device: Annotated[str, Meta(min_length=1, max_length=64, description="The device that scanned.")]


class SearchQuery(Struct):
    q: Annotated[str, Meta(min_length=1, max_length=100, description="Part of a name, organisation or identifier.")]


class ScansQuery(Struct, forbid_unknown_fields=True):
    result: ScanResult | None = None
    limit: Annotated[int, Meta(ge=1, le=200)] = 50


class CheckinOk(Struct):
    result: Literal["ok"]
    nonce: str
    booking_id: str
    identifier: str
    checked_in_at: str | None
    device: str | None


class CheckinRejected(Struct):
    """A refused scan as the door app reads it (`reason`), with the usual error object too."""

    result: Literal["rejected"]
    reason: Annotated[str, Meta(description="already_checked_in (409), unknown_code (404), not_registered, "
                                            "cancelled, waitlisted (422), nonce_reused (409), ...")]
    error: Error


class BatchResult(Struct):
    index: int
    status: int
    result: Literal["ok", "rejected", "error"]


class BatchOut(Struct):
    results: list[BatchResult]


class Annulled(Struct):
    result: Literal["annulled"]
    nonce: str
    booking_id: str
    identifier: str


class DoorBooking(Struct):
    booking_id: str
    status: str
    ticket_code: str
    checked_in_at: str | None


class DoorGuest(Struct):
    identifier: str
    firstname: str | None
    lastname: str | None
    organization: str | None
    status: str
    bookings: list[DoorBooking]


class SearchOut(Struct):
    guests: list[DoorGuest]


class GroupCount(Struct):
    """One contact group at the door: `expected` counts its contacts registered or attended, `checked_in` those
    attended. Status changes and group changes (PATCH, imports, the group routes) move both, from the contacts
    stream: a change shows a moment after it is written. A group is listed once it had such a contact, at 0 after
    the last one left."""

    expected: int
    checked_in: int


class Stats(Struct):
    event_id: str
    checked_in: int
    expected: int
    capacity: int | None
    by_group: dict[str, GroupCount]


class ScanRecord(Struct):
    nonce: str | None
    result: str | None
    reason: str | None
    device: str | None
    scanned_at: str | None
    received_at: str | None
    offline: bool
    booking_id: str | None
    identifier: str | None


class ScansOut(Struct):
    scans: list[ScanRecord]
