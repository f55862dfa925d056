"""What a guest can do with a personal link, as plain functions of the token.

Every function resolves the token first (two round trips), so an unknown, rotated or
foreign token gives the same 404 everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import bookings as booking_rules
from . import forms
from .booking_policy import ACTIVE, booking_limit, may_book_more
from .clock import now_iso
from .codes import Code
from .contacts import contact_json, personal_link, record_visit, resolve_link
from .errors import Conflict
from .events import event_form, event_texts, get_event, online_of, organiser_of
from .guest_state import GuestState
from .models import EventModel, plain
from .status import Status


def _actions(event: EventModel, state: GuestState, now: str | None = None) -> dict:
    active = [b for b in state.bookings if b.status in ACTIVE]
    return {
        "can_book": may_book_more(event, state.bookings),
        "can_cancel": bool(event.self_cancellation) and any(not b.checked_in_at for b in active),
        "can_decline": not active and not state.contact.declined_at,
        "can_join": join_open(event, state, now),
    }


def join_window(event: EventModel) -> tuple[datetime, datetime] | None:
    """When an online event's join button shows: from `opens_minutes_before` the start until the end."""
    online = online_of(event)
    if not online or not event.start:
        return None
    start = datetime.fromisoformat(event.start)
    end = datetime.fromisoformat(event.end) if event.end else start + timedelta(hours=4)
    return start - timedelta(minutes=int(online.get("opens_minutes_before", 30))), end


def join_open(event: EventModel, state: GuestState, now: str | None = None) -> bool:
    """A confirmed guest of an online event, inside the join window."""
    window = join_window(event)
    if window is None or not any(b.status == "confirmed" for b in state.bookings):
        return False
    moment = datetime.fromisoformat(now or now_iso())
    return window[0] <= moment <= window[1]


def guest_event(event: EventModel) -> dict:
    """The event as guests see it: texts as set (the page picks the language), the form, who
    invites; never the join URL, group capacities or counts."""
    texts = event_texts(event)
    window = join_window(event)
    return {
        "event_id": event.event_id, "name": texts["name"], "venue": texts["venue"], "description": texts["description"],
        "start": event.start, "end": event.end, "timezone": event.timezone,
        "languages": list(event.languages), "default_language": event.default_language,
        "self_cancellation": bool(event.self_cancellation), "max_bookings_per_contact": booking_limit(event),
        "form": event_form(event), "organiser": organiser_of(event), "privacy_url": event.privacy_url,
        "online": {"opens_at": window[0].isoformat()} if window else None,
    }


def _load(token: str) -> tuple[EventModel, GuestState]:
    """The guest's state and the event's current settings (read fresh, beside the partition read)."""
    state, event = resolve_link(token, get_event)
    return event, state


def view(event: EventModel, state: GuestState) -> dict:
    contact = contact_json(state.contact, with_link=False)
    contact["personal_link"] = personal_link(state.contact)
    return {"event": guest_event(event), "contact": contact, "status": state.contact.status,
            "bookings": [booking_rules.booking_json(b) for b in state.bookings], "actions": _actions(event, state)}


def view_json(token: str) -> dict:
    event, state = _load(token)
    return view(event, state)


def page_html(token: str, query_lang: str | None, notice: str | None, submitted: dict | None = None,
              error_field: str | None = None, page_path: str | None = None) -> tuple[str, str]:
    """The guest's page; after a refused form post, `submitted` keeps what the guest typed."""
    from .web import choose_language, render_guest_page

    event, state = _load(token)
    data = view(event, state)
    lang = choose_language(query_lang, state.contact.language, data["event"])
    return render_guest_page(data, token, lang, notice=notice, submitted=submitted, error_field=error_field,
                             page_path=page_path)


def visit(token: str) -> str:
    _event, state = _load(token)
    record_visit(state)
    return Status.ACCESSED.value if state.contact.status == Status.OPEN else state.contact.status


def contact_values(contact) -> dict:
    """What the contact already has for each possible form field (predefined and custom)."""
    values = dict(plain(contact.custom))
    values.update({name: getattr(contact, name) for name in forms.PREDEFINED_IDS if getattr(contact, name) is not None})
    return values


def book(token: str, answers: dict, *, html: bool = False) -> dict:
    """Book with answers to the event's form; a refusal (invalid answers, booking limit, a lost
    race) writes nothing: the answers are stored in the booking's own transaction."""
    event, state = _load(token)
    answers = {k: v for k, v in answers.items() if k != "lang"}
    cleaned = forms.validate_answers(event_form(event), answers, existing=contact_values(state.contact),
                                     region=event.country or "CH", html=html)
    booking = booking_rules.book(event, state, cleaned, fields=forms.split_answers(cleaned))
    return booking_rules.booking_json(booking)


def join(token: str, now: str | None = None) -> str:
    """The online event's join URL for a confirmed guest inside the window; records `attended` once."""

    event, state = _load(token)
    online = online_of(event)  # set whenever join_open holds
    if online is None or not join_open(event, state, now):
        raise Conflict(Code.JOIN_NOT_OPEN, "the online event cannot be joined from this link now")
    booking_rules.record_online_attendance(event, state)
    return online["join_url"]


def cancel(token: str, booking_id: str) -> dict:
    event, state = _load(token)
    booking = booking_rules.cancel(event, state, booking_id)
    return booking_rules.booking_json(booking)


def decline(token: str) -> str:
    event, state = _load(token)
    booking_rules.decline(event, state)
    return Status.UNREGISTERED.value


def calendar(token: str, query_lang: str | None) -> bytes:
    from .web import build_calendar, choose_language

    event, state = _load(token)
    if not event.start:
        raise Conflict(Code.EVENT_HAS_NO_DATE, "this event has no date yet, so there is no calendar entry")
    data = guest_event(event)
    lang = choose_language(query_lang, state.contact.language, data)
    data = {**data, **{key: forms.pick_text(data[key], lang, event.default_language) or None
                       for key in ("name", "venue", "description")}}
    return build_calendar(data, personal_link(state.contact), lang)
