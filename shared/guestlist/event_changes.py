"""An organiser creates, changes and lists events (DESIGN.md section 4, /events).

The reads that every function needs (an event, its form, texts and groups, as JSON) are in `events`;
these writes, their checks and the workspace's event listing are the organiser API's alone, so the
guest and check-in functions do not load them (cold start, DESIGN.md s9).
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from . import storage
from .bookings import promote_waitlist
from .clock import now_iso
from .codes import Code
from .errors import Conflict, InvalidRequest
from .events import LOCALISED, get_event, permission_groups, stored_json
from .models import EventModel, GroupSeatModel, WorkspaceEventModel
from .retry import cancellation_codes, condition_failed, retrying

LANGUAGES = ("de", "fr", "en", "it")
_EVENT_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"  # compiled on first use (re's cache): cold start

_EDITABLE = {
    "name", "start", "end", "timezone", "venue", "description", "languages", "default_language",
    "country", "capacity", "self_cancellation", "personal_link_only", "permission_groups",
    "max_bookings_per_contact", "waitlist_auto_promote", "form", "organiser", "privacy_url", "online",
}


def _clean(fields: dict, *, creating: bool) -> dict:
    unknown = set(fields) - _EDITABLE - ({"event_id"} if creating else set())
    if unknown:
        raise InvalidRequest(Code.UNKNOWN_FIELD, f"unknown event field(s): {', '.join(sorted(unknown))}", {"fields": sorted(unknown)})
    out = dict(fields)
    if creating and not str(out.get("name") or "").strip():
        raise InvalidRequest(Code.INVALID_FIELD, "field 'name' is required", {"field": "name"})
    if isinstance(out.get("name"), str):
        out["name"] = out["name"].strip()
    if "timezone" in out:
        # imported here, where a zone is checked: zoneinfo loads sysconfig, ~2 ms of every cold start otherwise
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(out["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRequest(Code.INVALID_FIELD, f"field 'timezone': unknown time zone {out['timezone']!r}",
                                 {"field": "timezone"}) from None
    for name in ("start", "end"):
        if out.get(name) is not None:
            try:
                parsed = datetime.fromisoformat(str(out[name]))
            except ValueError:
                raise InvalidRequest(Code.INVALID_FIELD, f"field {name!r}: not an ISO-8601 date-time", {"field": name}) from None
            if parsed.tzinfo is None:
                raise InvalidRequest(Code.INVALID_FIELD, f"field {name!r}: needs a UTC offset, e.g. +01:00", {"field": name})
    if out.get("start") and out.get("end") and datetime.fromisoformat(out["end"]) < datetime.fromisoformat(out["start"]):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'end' is before 'start'", {"field": "end"})
    if "languages" in out:
        langs = out["languages"]
        if not isinstance(langs, list) or not langs or any(lang not in LANGUAGES for lang in langs):
            raise InvalidRequest(Code.INVALID_FIELD, f"field 'languages': a non-empty list of {', '.join(LANGUAGES)}", {"field": "languages"})
    if "default_language" in out and out["default_language"] not in LANGUAGES:
        raise InvalidRequest(Code.INVALID_FIELD, f"field 'default_language': one of {', '.join(LANGUAGES)}", {"field": "default_language"})
    if out.get("capacity") is not None and (
            not isinstance(out["capacity"], int) or isinstance(out["capacity"], bool) or out["capacity"] < 0):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'capacity'': a whole number >= 0, or null for unlimited", {"field": "capacity"})
    if "max_bookings_per_contact" in out:
        value = out["max_bookings_per_contact"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest(Code.INVALID_FIELD, "field 'max_bookings_per_contact': a whole number >= 1", {"field": "max_bookings_per_contact"})
    for flag in ("self_cancellation", "personal_link_only", "waitlist_auto_promote"):
        if flag in out and not isinstance(out[flag], bool):
            raise InvalidRequest(Code.INVALID_FIELD, f"field {flag!r}: true or false", {"field": flag})
    if "permission_groups" in out:
        out["permission_groups"] = _clean_groups(out["permission_groups"])
    if out.get("organiser") is not None:
        organiser = {k: str(v).strip() for k, v in dict(out["organiser"]).items() if v is not None and str(v).strip()}
        out["organiser"] = organiser or None
    return out


def _clean_groups(groups) -> list[dict]:
    """Permission groups as objects; a bare name (the old form) is a closed group without a cap."""
    if groups is None:
        return []
    if not isinstance(groups, list):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'permission_groups': a list of groups", {"field": "permission_groups"})
    out, seen = [], set()
    for index, group in enumerate(groups):
        if isinstance(group, str):
            group = {"name": group}
        if not isinstance(group, dict) or not str(group.get("name") or "").strip():
            raise InvalidRequest(Code.INVALID_FIELD, f"field 'permission_groups[{index}].name': a name", {"field": f"permission_groups[{index}].name"})
        name = str(group["name"]).strip()
        if name in seen:
            raise InvalidRequest(Code.INVALID_FIELD, f"field 'permission_groups[{index}].name': {name!r} appears twice",
                                 {"field": f"permission_groups[{index}].name"})
        seen.add(name)
        capacity = group.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0):
            raise InvalidRequest(Code.INVALID_FIELD, f"field 'permission_groups[{index}].capacity': a whole number >= 0 or null",
                                 {"field": f"permission_groups[{index}].capacity"})
        out.append({"name": name, "public_registration": bool(group.get("public_registration")), "capacity": capacity})
    return out


def _storage_actions(fields: dict, event: EventModel | None) -> tuple[dict, list[dict]]:
    """API fields -> model attributes to set (None = remove), and the form's warnings."""
    from .forms import normalise_form

    default_language = fields.get("default_language") or (event.default_language if event is not None else "en")
    attrs: dict = {}
    warnings: list[dict] = []
    texts = dict(stored_json(event.texts_json, {})) if event is not None else {}
    texts_touched = False
    for key, _limit in LOCALISED.items():
        if key not in fields:
            continue
        value = fields[key]
        if isinstance(value, dict):
            value = {lang: str(text).strip() for lang, text in value.items() if str(text).strip()}
            if key == "name" and not value:
                raise InvalidRequest(Code.INVALID_FIELD, "field 'name' is required", {"field": "name"})
            texts[key] = value or None
            attrs[key] = (value.get(default_language) or next(iter(value.values()))) if value else None
        else:
            texts.pop(key, None)
            attrs[key] = value
        texts_touched = True
    if texts_touched:
        kept = {k: v for k, v in texts.items() if v}
        attrs["texts_json"] = json.dumps(kept, ensure_ascii=False) if kept else None
    for key, value in fields.items():
        if key in LOCALISED:
            continue
        if key == "form":
            if value is None:
                attrs["form_json"] = None
            else:
                form, warnings = normalise_form(value)
                text = json.dumps(form, ensure_ascii=False)
                if len(text) > 100_000:
                    raise InvalidRequest(Code.TOO_LONG, "field 'form': at most 100,000 characters as JSON", {"field": "form"})
                attrs["form_json"] = text
        elif key == "permission_groups":
            attrs["access_json"] = json.dumps(value, ensure_ascii=False) if value else None
            attrs["permission_groups"] = {g["name"] for g in value} or None
        elif key == "organiser":
            attrs["organiser_json"] = json.dumps(value, ensure_ascii=False) if value else None
        elif key == "online":
            attrs["online_json"] = json.dumps({"join_url": value["join_url"], "opens_minutes_before": int(value.get("opens_minutes_before", 30))}) if value else None
        elif key == "personal_link_only":
            attrs[key] = value
            if value:  # only personal links: no group stays open to the public
                groups = fields.get("permission_groups")
                if groups is None and event is not None:
                    groups = permission_groups(event)
                if groups:
                    closed = [{**g, "public_registration": False} for g in groups]
                    attrs["access_json"] = json.dumps(closed, ensure_ascii=False)
                    attrs["permission_groups"] = {g["name"] for g in closed}
        else:
            attrs[key] = value
    return attrs, warnings


def create_event(workspace_id: str, fields: dict) -> tuple[EventModel, list[dict]]:
    """The new event and the warnings about its form. A new event gets the default form."""
    from .forms import default_form

    fields = _clean(fields, creating=True)
    event_id = fields.pop("event_id", None) or f"evt-{secrets.token_hex(6)}"
    if not re.match(_EVENT_ID, event_id):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'event_id': lowercase letters, digits and '-', at most 63", {"field": "event_id"})
    fields.setdefault("form", default_form())
    attrs, warnings = _storage_actions(fields, None)
    now = now_iso()
    event = EventModel(pk=f"EVENT#{event_id}", event_id=event_id, workspace_id=workspace_id, created_at=now, updated_at=now,
                       **{k: v for k, v in attrs.items() if v is not None})
    if event.default_language not in event.languages:
        event.languages = [*event.languages, event.default_language]
    listing = WorkspaceEventModel(pk=f"WS#{workspace_id}", sk=f"EVENT#{event_id}", event_id=event_id, name=event.name)

    def items(tx: TransactWrite) -> None:
        tx.save(event, condition=EventModel.pk.does_not_exist())
        tx.save(listing)
        for group in permission_groups(event):
            if group.get("capacity") is not None:
                tx.save(GroupSeatModel(pk=event.pk, sk=f"GROUPSEAT#{group['name']}", confirmed=0, capacity=group["capacity"]))

    try:
        storage.transact_write(EventModel, items, what="event creation")  # a conflict or throttling is tried again, not taken for "exists"
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:  # the event item (first put) exists
            raise Conflict(Code.EVENT_EXISTS, f"event {event_id!r} exists already") from exc
        raise
    return event, warnings


def list_events(workspace_id: str) -> list[dict]:
    # the workspace's partition also holds its accounts: only the event index items
    return [{"event_id": i.event_id, "name": i.name}
            for i in WorkspaceEventModel.query(f"WS#{workspace_id}", WorkspaceEventModel.sk.startswith("EVENT#"))]


def _check_whole(event: EventModel, fields: dict) -> None:
    """PATCH validates the event it would leave behind, not only the fields it was given."""
    start = fields.get("start", event.start)
    end = fields.get("end", event.end)
    if start and end and datetime.fromisoformat(end) < datetime.fromisoformat(start):
        field = "end" if "end" in fields else "start"
        raise InvalidRequest(Code.INVALID_FIELD, f"field {field!r}: the event would end ({end}) before it starts ({start})",
                             {"field": field})
    capacity = fields.get("capacity", event.capacity)
    if capacity is not None and int(capacity) < int(event.confirmed_count or 0):
        raise _below_confirmed(int(capacity), int(event.confirmed_count or 0))


def _below_confirmed(capacity: int, confirmed: int) -> Conflict:
    return Conflict(Code.CAPACITY_BELOW_CONFIRMED, f"field 'capacity': {capacity} is below the {confirmed} confirmed "
                    "bookings; cancel bookings first", {"field": "capacity"})


def update_event(event_id: str, workspace_id: str, fields: dict) -> tuple[EventModel, list[dict]]:
    """Change an event; returns it with the warnings about its form. A new capacity is written on
    the condition that it still holds every confirmed booking (a booking racing the change cannot
    slip past it); group capacities move with the event in one transaction under the same rule
    for each group's confirmed bookings; when seats free up and the event promotes its waitlist,
    waitlisted bookings are confirmed at once, oldest first."""
    fields = _clean(fields, creating=False)
    event = get_event(event_id, workspace_id)
    _check_whole(event, fields)
    attrs, warnings = _storage_actions(fields, event)
    actions = [getattr(EventModel, k).set(v) if v is not None else getattr(EventModel, k).remove() for k, v in attrs.items()]
    actions.append(EventModel.updated_at.set(now_iso()))
    condition = EventModel.workspace_id == workspace_id
    if fields.get("capacity") is not None:
        condition &= EventModel.confirmed_count <= int(fields["capacity"])
    if "access_json" not in attrs:
        try:
            retrying(lambda: event.update(actions=actions, condition=condition), what="event update")
        except UpdateError as exc:
            if condition_failed(exc):
                fresh = get_event(event_id, workspace_id)
                raise _below_confirmed(int(fields["capacity"]), int(fresh.confirmed_count or 0)) from exc
            raise
    else:
        _update_with_groups(event, attrs, actions, condition, fields)
    if event.waitlist_auto_promote and ("capacity" in fields or "waitlist_auto_promote" in fields or "access_json" in attrs):
        promote_waitlist(event)
    return get_event(event_id, workspace_id), warnings


def _update_with_groups(event: EventModel, attrs: dict, actions: list, condition, fields: dict) -> None:
    before = {g["name"]: g.get("capacity") for g in permission_groups(event)}
    after = {g["name"]: g.get("capacity") for g in (json.loads(attrs["access_json"]) if attrs["access_json"] else [])}
    changed = [name for name in set(before) | set(after) if before.get(name) != after.get(name)]

    def items(tx: TransactWrite) -> None:
        tx.update(EventModel(pk=event.pk, sk="EVENT"), actions=actions, condition=condition)
        for name in changed[:90]:
            seat = GroupSeatModel(pk=event.pk, sk=f"GROUPSEAT#{name}")
            capacity = after.get(name)
            if capacity is None:
                tx.update(seat, actions=[GroupSeatModel.capacity.remove()])
            else:
                tx.update(seat, actions=[GroupSeatModel.capacity.set(capacity)],
                          condition=GroupSeatModel.confirmed.does_not_exist() | (GroupSeatModel.confirmed <= capacity))

    try:
        storage.transact_write(EventModel, items, what="event update")
    except TransactWriteError as exc:
        if not condition_failed(exc):
            raise
        reasons = cancellation_codes(exc)
        if reasons and reasons[0] == "ConditionalCheckFailed" and fields.get("capacity") is not None:
            raise _below_confirmed(int(fields["capacity"]), int(get_event(event.event_id).confirmed_count or 0)) from exc
        raise Conflict(Code.CAPACITY_BELOW_CONFIRMED, "a permission group's capacity is below its confirmed bookings; "
                       "cancel bookings first", {"field": "permission_groups"}) from exc
