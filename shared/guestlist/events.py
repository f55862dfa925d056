"""Events as every function reads them: the event, its form, texts, groups and JSON. A read with a workspace is
scoped to it. The organiser's writes (create, change, list) are in `event_changes`."""

from __future__ import annotations

import json
import time

from .codes import Code
from .errors import NotFound
from .models import EventModel

LOCALISED = {"name": 200, "venue": 200, "description": 10_000}


def stored_json(text: str | None, default):
    """A JSON text attribute (form, texts, groups...) read back; absent or unreadable: the default."""
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def event_texts(event: EventModel) -> dict:
    """{"name": str | {lang: text}, "venue": ..., "description": ...} as the organiser set them."""
    texts = stored_json(event.texts_json, {})
    return {key: texts.get(key) or getattr(event, key) for key in LOCALISED}


def event_form(event: EventModel) -> list[dict]:
    """The event's form; events stored before forms existed get the default form."""
    from .forms import default_form

    form = stored_json(event.form_json, None)
    return form if isinstance(form, list) else default_form()


def permission_groups(event: EventModel) -> list[dict]:
    """The groups with their settings; events stored with bare names keep their meaning (closed, no cap)."""
    groups = stored_json(event.access_json, None)
    if isinstance(groups, list):
        return groups
    return [{"name": name, "public_registration": False, "capacity": None} for name in sorted(event.permission_groups or [])]


def public_group(event: EventModel) -> dict | None:
    """The group public registrations join: the first open to the public. None = a closed event."""
    if not event.privacy_url:
        return None
    return next((g for g in permission_groups(event) if g.get("public_registration")), None)


def organiser_of(event: EventModel) -> dict | None:
    return stored_json(event.organiser_json, None)


def online_of(event: EventModel) -> dict | None:
    return stored_json(event.online_json, None)


def get_event(event_id: str, workspace_id: str | None = None) -> EventModel:
    """The event; with a workspace, another tenant's event is simply not found."""
    try:
        event = EventModel.get(f"EVENT#{event_id}", "EVENT")
    except EventModel.DoesNotExist:
        raise NotFound(Code.EVENT_NOT_FOUND, f"no event {event_id!r}") from None
    if workspace_id is not None and event.workspace_id != workspace_id:
        raise NotFound(Code.EVENT_NOT_FOUND, f"no event {event_id!r}")
    return event


def event_json(event: EventModel, warnings: list[dict] | None = None) -> dict:
    """The event as its organiser sees it (guests get `guest.guest_event`, which never holds the join URL)."""
    texts = event_texts(event)
    groups = permission_groups(event)
    out = {
        "event_id": event.event_id,
        "name": texts["name"],
        "start": event.start,
        "end": event.end,
        "timezone": event.timezone,
        "venue": texts["venue"],
        "description": texts["description"],
        "languages": list(event.languages),
        "default_language": event.default_language,
        "country": event.country,
        "capacity": int(event.capacity) if event.capacity is not None else None,
        "confirmed": int(event.confirmed_count or 0),
        "self_cancellation": event.self_cancellation,
        "personal_link_only": not any(g.get("public_registration") for g in groups),
        "permission_groups": groups,
        "max_bookings_per_contact": int(event.max_bookings_per_contact),
        "waitlist_auto_promote": event.waitlist_auto_promote,
        "form": event_form(event),
        "organiser": organiser_of(event),
        "privacy_url": event.privacy_url,
        "online": online_of(event),
        "public_registration": public_group(event) is not None,
    }
    if warnings is not None:
        out["warnings"] = warnings
    return out


_cache: dict[str, tuple[float, EventModel]] = {}
_CACHE_SECONDS = 30.0


def get_event_cached(event_id: str) -> EventModel:
    """An event's fixed facts (its workspace) for background paths, kept 30 s per container.

    Never for settings a guest sees: those change, and guest paths read them fresh
    (`guest.py` reads the event beside the guest's partition, at no extra round trip).
    """
    hit = _cache.get(event_id)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    event = get_event(event_id)
    _cache[event_id] = (time.monotonic(), event)
    return event
