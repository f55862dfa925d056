"""What a guest can do with a personal link, as plain functions of the token.

Every function resolves the token first (two round trips), so an unknown, rotated or
foreign token gives the same 404 everywhere.
"""

from __future__ import annotations

from . import bookings as booking_rules
from .contacts import GuestState, contact_json, personal_link, record_visit, resolve_link
from .events import event_json, get_event
from .fields import clean_profile
from .models import ContactModel, EventModel
from .retry import retrying
from .status import Status


def _actions(event: EventModel, state: GuestState) -> dict:
    active = [b for b in state.bookings if b.status in booking_rules.ACTIVE]
    return {
        "can_book": len(active) < int(event.max_bookings_per_contact or 1),
        "can_cancel": bool(event.self_cancellation) and any(not b.checked_in_at for b in active),
        "can_decline": not active and not state.contact.declined_at,
    }


def _load(token: str) -> tuple[EventModel, GuestState]:
    """The guest's state and the event's current settings (read fresh, beside the partition read)."""
    state, event = resolve_link(token, get_event)
    return event, state


def view(event: EventModel, state: GuestState) -> dict:
    contact = contact_json(state.contact, with_link=False)
    contact["personal_link"] = personal_link(state.contact)
    return {"event": event_json(event), "contact": contact, "status": state.contact.status,
            "bookings": [booking_rules.booking_json(b) for b in state.bookings], "actions": _actions(event, state)}


def view_json(token: str) -> dict:
    event, state = _load(token)
    return view(event, state)


def page_html(token: str, query_lang: str | None, notice: str | None) -> tuple[str, str]:
    from .web import choose_language, render_guest_page

    event, state = _load(token)
    data = view(event, state)
    lang = choose_language(query_lang, state.contact.language, data["event"])
    return render_guest_page(data, token, lang, notice=notice)


def visit(token: str) -> str:
    _event, state = _load(token)
    record_visit(state)
    return Status.ACCESSED.value if state.contact.status == Status.OPEN else state.contact.status


def book(token: str, form: dict) -> dict:
    event, state = _load(token)
    fields = {k: v for k, v in form.items() if k not in ("lang", "identifier")}
    profile, custom = clean_profile(fields, region=event.country or "CH", languages=list(event.languages))
    if profile or custom:
        _update_prefill(state.contact, profile, custom)
    booking = booking_rules.book(event, state, {**profile, **custom})
    return booking_rules.booking_json(booking)


def _update_prefill(contact: ContactModel, profile: dict, custom: dict) -> None:
    """Form answers become the contact's pre-fill data (validated like the import)."""
    from .clock import now_iso

    actions = [getattr(ContactModel, k).set(v) for k, v in profile.items()]
    actions += [ContactModel.custom[k].set(v) for k, v in custom.items()]
    actions.append(ContactModel.updated_at.set(now_iso()))
    retrying(lambda: contact.update(actions=actions, condition=ContactModel.pk.exists()), what="form answers")


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
    data = event_json(event)
    lang = choose_language(query_lang, state.contact.language, data)
    return build_calendar(data, personal_link(state.contact), lang)
