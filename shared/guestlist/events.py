"""Events of a workspace: create, read, change. Every read is scoped to the caller's workspace."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from .clock import now_iso
from .errors import Conflict, InvalidRequest, NotFound
from .models import EventModel, WorkspaceEventModel

LANGUAGES = ("de", "fr", "en", "it")
_EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

_EDITABLE = {
    "name", "start", "end", "timezone", "venue", "description", "languages", "default_language",
    "country", "capacity", "self_cancellation", "personal_link_only", "permission_groups",
    "max_bookings_per_contact", "waitlist_auto_promote",
}


def _clean(fields: dict, *, creating: bool) -> dict:
    unknown = set(fields) - _EDITABLE - ({"event_id"} if creating else set())
    if unknown:
        raise InvalidRequest("unknown_field", f"unknown event field(s): {', '.join(sorted(unknown))}", {"fields": sorted(unknown)})
    out = dict(fields)
    if creating and not str(out.get("name") or "").strip():
        raise InvalidRequest("invalid_field", "field 'name' is required", {"field": "name"})
    if "name" in out:
        out["name"] = str(out["name"]).strip()
    if "timezone" in out:
        try:
            ZoneInfo(str(out["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRequest("invalid_field", f"field 'timezone': unknown time zone {out['timezone']!r}", {"field": "timezone"})
    for name in ("start", "end"):
        if out.get(name) is not None:
            try:
                parsed = datetime.fromisoformat(str(out[name]))
            except ValueError:
                raise InvalidRequest("invalid_field", f"field {name!r}: not an ISO-8601 date-time", {"field": name})
            if parsed.tzinfo is None:
                raise InvalidRequest("invalid_field", f"field {name!r}: needs a UTC offset, e.g. +01:00", {"field": name})
    if out.get("start") and out.get("end") and datetime.fromisoformat(out["end"]) < datetime.fromisoformat(out["start"]):
        raise InvalidRequest("invalid_field", "field 'end' is before 'start'", {"field": "end"})
    if "languages" in out:
        langs = out["languages"]
        if not isinstance(langs, list) or not langs or any(l not in LANGUAGES for l in langs):
            raise InvalidRequest("invalid_field", f"field 'languages': a non-empty list of {', '.join(LANGUAGES)}", {"field": "languages"})
    if "default_language" in out and out["default_language"] not in LANGUAGES:
        raise InvalidRequest("invalid_field", f"field 'default_language': one of {', '.join(LANGUAGES)}", {"field": "default_language"})
    if out.get("capacity") is not None:
        if not isinstance(out["capacity"], int) or isinstance(out["capacity"], bool) or out["capacity"] < 0:
            raise InvalidRequest("invalid_field", "field 'capacity': a whole number >= 0, or null for unlimited", {"field": "capacity"})
    if "max_bookings_per_contact" in out:
        value = out["max_bookings_per_contact"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest("invalid_field", "field 'max_bookings_per_contact': a whole number >= 1", {"field": "max_bookings_per_contact"})
    for flag in ("self_cancellation", "personal_link_only", "waitlist_auto_promote"):
        if flag in out and not isinstance(out[flag], bool):
            raise InvalidRequest("invalid_field", f"field {flag!r}: true or false", {"field": flag})
    if "permission_groups" in out:
        groups = out["permission_groups"]
        if not isinstance(groups, list) or any(not isinstance(g, str) or not g.strip() for g in groups):
            raise InvalidRequest("invalid_field", "field 'permission_groups': a list of names", {"field": "permission_groups"})
        out["permission_groups"] = {g.strip() for g in groups} or None
    return out


def create_event(workspace_id: str, fields: dict) -> EventModel:
    fields = _clean(fields, creating=True)
    event_id = fields.pop("event_id", None) or f"evt-{secrets.token_hex(6)}"
    if not _EVENT_ID.match(event_id):
        raise InvalidRequest("invalid_field", "field 'event_id': lowercase letters, digits and '-', at most 63", {"field": "event_id"})
    now = now_iso()
    event = EventModel(pk=f"EVENT#{event_id}", event_id=event_id, workspace_id=workspace_id, created_at=now, updated_at=now, **fields)
    if event.default_language not in event.languages:
        event.languages = [*event.languages, event.default_language]
    listing = WorkspaceEventModel(pk=f"WS#{workspace_id}", sk=f"EVENT#{event_id}", event_id=event_id, name=event.name)
    try:
        with TransactWrite(connection=EventModel._get_connection().connection) as tx:
            tx.save(event, condition=EventModel.pk.does_not_exist())
            tx.save(listing)
    except TransactWriteError as exc:
        if exc.cause_response_code == "TransactionCanceledException":
            raise Conflict("event_exists", f"event {event_id!r} exists already") from exc
        raise
    return event


def get_event(event_id: str, workspace_id: str | None = None) -> EventModel:
    """The event; with a workspace, another tenant's event is simply not found."""
    try:
        event = EventModel.get(f"EVENT#{event_id}", "EVENT")
    except EventModel.DoesNotExist:
        raise NotFound("event_not_found", f"no event {event_id!r}") from None
    if workspace_id is not None and event.workspace_id != workspace_id:
        raise NotFound("event_not_found", f"no event {event_id!r}")
    return event


def list_events(workspace_id: str) -> list[dict]:
    return [{"event_id": i.event_id, "name": i.name} for i in WorkspaceEventModel.query(f"WS#{workspace_id}")]


def _check_whole(event: EventModel, fields: dict) -> None:
    """PATCH validates the event it would leave behind, not only the fields it was given."""
    start = fields["start"] if "start" in fields else event.start
    end = fields["end"] if "end" in fields else event.end
    if start and end and datetime.fromisoformat(end) < datetime.fromisoformat(start):
        field = "end" if "end" in fields else "start"
        raise InvalidRequest("invalid_field", f"field {field!r}: the event would end ({end}) before it starts ({start})",
                             {"field": field})
    capacity = fields.get("capacity", event.capacity)
    if capacity is not None and int(capacity) < int(event.confirmed_count or 0):
        raise _below_confirmed(int(capacity), int(event.confirmed_count or 0))


def _below_confirmed(capacity: int, confirmed: int) -> Conflict:
    return Conflict("capacity_below_confirmed", f"field 'capacity': {capacity} is below the {confirmed} confirmed "
                    "bookings; cancel bookings first", {"field": "capacity"})


def update_event(event_id: str, workspace_id: str, fields: dict) -> EventModel:
    """Change an event. A new capacity is written on the condition that it still holds every
    confirmed booking (a booking racing the change cannot slip past it); when seats free up and
    the event promotes its waitlist, waitlisted bookings are confirmed at once, oldest first."""
    from pynamodb.exceptions import UpdateError

    from .bookings import promote_waitlist

    fields = _clean(fields, creating=False)
    event = get_event(event_id, workspace_id)
    _check_whole(event, fields)
    actions = [getattr(EventModel, k).set(v) if v is not None else getattr(EventModel, k).remove() for k, v in fields.items()]
    actions.append(EventModel.updated_at.set(now_iso()))
    condition = EventModel.workspace_id == workspace_id
    if fields.get("capacity") is not None:
        condition &= EventModel.confirmed_count <= int(fields["capacity"])
    try:
        event.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            fresh = get_event(event_id, workspace_id)
            raise _below_confirmed(int(fields["capacity"]), int(fresh.confirmed_count or 0)) from exc
        raise
    if event.waitlist_auto_promote and ("capacity" in fields or "waitlist_auto_promote" in fields):
        if promote_waitlist(event):
            event = get_event(event_id, workspace_id)
    return event


def event_json(event: EventModel) -> dict:
    return {
        "event_id": event.event_id,
        "name": event.name,
        "start": event.start,
        "end": event.end,
        "timezone": event.timezone,
        "venue": event.venue,
        "description": event.description,
        "languages": list(event.languages),
        "default_language": event.default_language,
        "country": event.country,
        "capacity": int(event.capacity) if event.capacity is not None else None,
        "confirmed": int(event.confirmed_count or 0),
        "self_cancellation": event.self_cancellation,
        "personal_link_only": event.personal_link_only,
        "permission_groups": sorted(event.permission_groups or []),
        "max_bookings_per_contact": int(event.max_bookings_per_contact),
        "waitlist_auto_promote": event.waitlist_auto_promote,
    }


_cache: dict[str, tuple[float, EventModel]] = {}
_CACHE_SECONDS = 30.0


def get_event_cached(event_id: str) -> EventModel:
    """An event's fixed facts (its workspace) for background paths, kept 30 s per container.

    Never for settings a guest sees: those change, and guest paths read them fresh
    (`guest.py` reads the event beside the guest's partition, at no extra round trip).
    """
    import time

    hit = _cache.get(event_id)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    event = get_event(event_id)
    _cache[event_id] = (time.monotonic(), event)
    return event
