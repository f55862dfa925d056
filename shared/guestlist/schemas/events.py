"""Events: what an organiser sends and gets back (DESIGN.md sections 2, 4 and 10)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from .forms import Form, FormField, LocalName, LocalText, Organiser, RequiredLocalName, Url
from .limits import DateTime, Language, RequiredName

EventId = Annotated[str, Meta(pattern="^[a-z0-9][a-z0-9-]{0,62}$", description="Lowercase letters, digits and '-', at most 63.")]

Capacity = Annotated[int, Meta(ge=0, le=1_000_000, description="Seats; null = unlimited.")]
Timezone = Annotated[str, Meta(max_length=64, description="IANA name, e.g. Europe/Zurich")]
Country = Annotated[str, Meta(pattern="^[A-Z]{2}$", description="ISO 3166 alpha-2, for phone numbers without a prefix")]
Languages = Annotated[list[Language], Meta(min_length=1, max_length=4)]
MaxBookings = Annotated[int, Meta(ge=1, le=100)]
HttpsUrl = Annotated[str, Meta(max_length=2_000, pattern="^https://[^\\s]+$", description="An https URL")]


class PermissionGroup(Struct, forbid_unknown_fields=True):
    """The seed's "groupe d'autorisations": who may register and how many of them."""

    name: RequiredName
    public_registration: bool = False
    capacity: Capacity | None = None


# A bare name (how events were declared before groups had settings) is a closed group without a cap.
PermissionGroups = Annotated[list[PermissionGroup | RequiredName], Meta(max_length=50)]


class Online(Struct, forbid_unknown_fields=True):
    """An online event: confirmed guests get a join button from `opens_minutes_before` the start."""

    join_url: HttpsUrl
    opens_minutes_before: Annotated[int, Meta(ge=0, le=1_440)] = 30


class EventCreate(Struct, forbid_unknown_fields=True):
    name: RequiredLocalName
    event_id: EventId | UnsetType = UNSET
    start: DateTime | None = None
    end: DateTime | None = None
    timezone: Timezone | UnsetType = UNSET
    venue: LocalName | None = None
    description: LocalText | None = None
    languages: Languages | UnsetType = UNSET
    default_language: Language | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    capacity: Capacity | None = None
    self_cancellation: bool | UnsetType = UNSET
    personal_link_only: bool | UnsetType = UNSET
    permission_groups: PermissionGroups | UnsetType = UNSET
    max_bookings_per_contact: MaxBookings | UnsetType = UNSET
    waitlist_auto_promote: bool | UnsetType = UNSET
    form: Form | UnsetType = UNSET
    organiser: Organiser | UnsetType | None = UNSET
    privacy_url: Url | UnsetType | None = UNSET
    online: Online | UnsetType | None = UNSET


class EventPatch(Struct, forbid_unknown_fields=True):
    """Absent fields stay as they are; `null` clears an optional one; `form` is replaced whole."""

    name: RequiredLocalName | UnsetType = UNSET
    start: DateTime | UnsetType | None = UNSET
    end: DateTime | UnsetType | None = UNSET
    timezone: Timezone | UnsetType = UNSET
    venue: LocalName | UnsetType | None = UNSET
    description: LocalText | UnsetType | None = UNSET
    languages: Languages | UnsetType = UNSET
    default_language: Language | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    capacity: Capacity | UnsetType | None = UNSET
    self_cancellation: bool | UnsetType = UNSET
    personal_link_only: bool | UnsetType = UNSET
    permission_groups: PermissionGroups | UnsetType | None = UNSET
    max_bookings_per_contact: MaxBookings | UnsetType = UNSET
    waitlist_auto_promote: bool | UnsetType = UNSET
    form: Form | UnsetType | None = UNSET
    organiser: Organiser | UnsetType | None = UNSET
    privacy_url: Url | UnsetType | None = UNSET
    online: Online | UnsetType | None = UNSET


class Warning(Struct):
    code: str
    field: str
    message: str
    predefined: str | None = None


class Event(Struct):
    event_id: str
    name: str | dict[str, str]
    start: str | None
    end: str | None
    timezone: str
    venue: str | dict[str, str] | None
    description: str | dict[str, str] | None
    languages: list[str]
    default_language: str
    country: str | None
    capacity: int | None
    confirmed: int
    self_cancellation: bool
    personal_link_only: bool
    permission_groups: list[PermissionGroup]
    max_bookings_per_contact: int
    waitlist_auto_promote: bool
    form: list[FormField]
    organiser: Organiser | None
    privacy_url: str | None
    online: Online | None
    public_registration: bool
    warnings: list[Warning] | UnsetType = UNSET


class EventSummary(Struct):
    event_id: str
    name: str


class EventList(Struct):
    events: list[EventSummary]
