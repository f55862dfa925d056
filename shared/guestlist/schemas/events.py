"""Events: what an organiser sends and gets back (DESIGN.md sections 2, 4 and 10)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from .limits import DateTime, EventId, Language, Name, RequiredName, Text

Capacity = Annotated[int, Meta(ge=0, le=1_000_000, description="Seats; null = unlimited.")]
Timezone = Annotated[str, Meta(max_length=64, description="IANA name, e.g. Europe/Zurich")]
Country = Annotated[str, Meta(pattern="^[A-Z]{2}$", description="ISO 3166 alpha-2, for phone numbers without a prefix")]
Languages = Annotated[list[Language], Meta(min_length=1, max_length=4)]
PermissionGroups = Annotated[list[Name], Meta(max_length=100)]
MaxBookings = Annotated[int, Meta(ge=1, le=100)]


class EventCreate(Struct, forbid_unknown_fields=True):
    name: RequiredName
    event_id: EventId | UnsetType = UNSET
    start: DateTime | None = None
    end: DateTime | None = None
    timezone: Timezone | UnsetType = UNSET
    venue: Name | None = None
    description: Text | None = None
    languages: Languages | UnsetType = UNSET
    default_language: Language | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    capacity: Capacity | None = None
    self_cancellation: bool | UnsetType = UNSET
    personal_link_only: bool | UnsetType = UNSET
    permission_groups: PermissionGroups | UnsetType = UNSET
    max_bookings_per_contact: MaxBookings | UnsetType = UNSET
    waitlist_auto_promote: bool | UnsetType = UNSET


class EventPatch(Struct, forbid_unknown_fields=True):
    """Absent fields stay as they are; `null` clears an optional one."""

    name: RequiredName | UnsetType = UNSET
    start: DateTime | None | UnsetType = UNSET
    end: DateTime | None | UnsetType = UNSET
    timezone: Timezone | UnsetType = UNSET
    venue: Name | None | UnsetType = UNSET
    description: Text | None | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    default_language: Language | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET
    self_cancellation: bool | UnsetType = UNSET
    personal_link_only: bool | UnsetType = UNSET
    permission_groups: PermissionGroups | None | UnsetType = UNSET
    max_bookings_per_contact: MaxBookings | UnsetType = UNSET
    waitlist_auto_promote: bool | UnsetType = UNSET


class Event(Struct):
    event_id: str
    name: str
    start: str | None
    end: str | None
    timezone: str
    venue: str | None
    description: str | None
    languages: list[str]
    default_language: str
    country: str | None
    capacity: int | None
    confirmed: int
    self_cancellation: bool
    personal_link_only: bool
    permission_groups: list[str]
    max_bookings_per_contact: int
    waitlist_auto_promote: bool


class EventSummary(Struct):
    event_id: str
    name: str


class EventList(Struct):
    events: list[EventSummary]
