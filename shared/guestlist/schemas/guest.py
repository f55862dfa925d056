"""The guest's personal link: what the page and apps send and get back (DESIGN.md section 4)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from .bookings import Booking
from .contact import Contact, ContactStatus
from .forms import FormField, Organiser
from .limits import Answers, Name

# What a guest may send in one booking: form answers and pre-fill fields, bounded so that the
# contact and its booking always fit DynamoDB's 400 KB item (checked again by the store).
GUEST_BODY_MAX_BYTES = 64 * 1024


# A language the page may be shown in; an unknown one falls back to the guest's (links must keep working).
PageLanguage = Annotated[str, Meta(max_length=16, description="de, fr, en or it; others fall back to the guest's language")]


class PageQuery(Struct):
    """Other parameters (a mail client's tracking, say) are ignored: links must keep working."""

    lang: PageLanguage | None = None
    notice: Name | None = None


class CalendarQuery(Struct):
    lang: PageLanguage | None = None


class FormNote(Struct):
    """What the no-JS page's cancel and decline forms post (the page's language)."""

    lang: PageLanguage | None = None


GuestAnswers = Annotated[Answers, Meta(description="Form answers and pre-fill fields by name (`lang`: the page's language). "
                                                   f"At most {GUEST_BODY_MAX_BYTES // 1024} KiB.")]


class Actions(Struct):
    can_book: bool
    can_cancel: bool
    can_decline: bool
    can_join: bool


class GuestOnline(Struct, forbid_unknown_fields=True):
    opens_at: Annotated[str, Meta(description="When the join button shows; the meeting URL is never in the view.")]


class GuestEvent(Struct, forbid_unknown_fields=True):
    """The event as guests see it (`guest.guest_event`): texts as set (one string or {lang: text}; the page picks
    the language), the form and who invites; never the capacity, counts, permission groups or the join URL."""

    event_id: str
    name: str | dict[str, str]
    venue: str | dict[str, str] | None
    description: str | dict[str, str] | None
    start: str | None
    end: str | None
    timezone: str
    languages: list[str]
    default_language: str
    self_cancellation: bool
    max_bookings_per_contact: int
    form: list[FormField]
    organiser: Organiser | None
    privacy_url: str | None
    online: GuestOnline | None


class GuestView(Struct):
    event: GuestEvent
    contact: Contact
    status: ContactStatus
    bookings: list[Booking]
    actions: Actions


class GuestStatus(Struct):
    status: ContactStatus


class Health(Struct):
    status: str


class Unsubscribed(Struct):
    """JSON clients (and one-click POSTs from mail clients); a browser gets the confirmation page."""

    unsubscribed: bool


class PublicEvent(Struct):
    """What the public registration page shows of an open event (DESIGN.md section 10)."""

    event: dict[str, Any]


class RegistrationAccepted(Struct):
    status: str
    message: str
