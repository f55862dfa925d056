"""Who may do what: the one answer the authorizer and every API handler ask for.

An organiser key reaches everything of its workspace; a check-in (door) key reaches only its own
event's door. Another workspace's event answers exactly as a missing one (404 `event_not_found`),
so a key learns nothing of other tenants. `decide` is the rule (pure); `authorise` applies it,
reading the event when the rule needs its workspace.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import msgspec

from .codes import Code
from .errors import Forbidden, GuestlistError, NotFound

if TYPE_CHECKING:
    from .models import EventModel


class Scope(msgspec.Struct, frozen=True):
    """The calling key as the authorizer resolved it (passed to the handlers in the request context)."""

    kind: str  # organiser | checkin
    workspace_id: str
    key_id: str
    event_id: str | None = None

    def as_context(self) -> dict:
        return {"kind": self.kind, "workspace_id": self.workspace_id, "key_id": self.key_id, "event_id": self.event_id or ""}

    @classmethod
    def from_context(cls, context: dict) -> Scope:
        return cls(kind=context.get("kind", ""), workspace_id=context.get("workspace_id", ""),
                   key_id=context.get("key_id", ""), event_id=context.get("event_id") or None)


class Action(StrEnum):
    """What a caller asks to do."""

    ORGANISE = "organise"  # the organiser API: events, contacts, imports, accounts... of the key's workspace
    SCAN = "scan"  # the door: scans, offline batches, annulments, the guest search (no event read for its own key)
    DOOR_STATS = "door_stats"  # the door's live counters (they need the event)
    LIST_SCANS = "list_scans"  # the newest scans: organisers only


class Decision(msgspec.Struct, frozen=True):
    """`decide`'s answer: a refusal, or allowed (reading the event in the key's workspace when `read_event`)."""

    refusal: GuestlistError | None = None
    read_event: bool = False


class Access(msgspec.Struct, frozen=True):
    """An allowed call: the caller's workspace, and the event when it was read."""

    workspace_id: str
    event: EventModel | None = None


def _no_event(event_id: str | None) -> NotFound:
    return NotFound(Code.EVENT_NOT_FOUND, f"no event {event_id!r}")


def decide(scope: Scope, action: Action, event_id: str | None = None) -> Decision:
    """The rule, without storage: an organiser key may do anything in its workspace (the event read
    settles whether `event_id` is of it); a check-in key only its own event's door, and not the scan list."""
    if scope.kind == "organiser":
        return Decision(read_event=event_id is not None)
    if action is Action.ORGANISE:
        return Decision(Forbidden(Code.FORBIDDEN, "this key cannot use the organiser API"))
    if scope.kind != "checkin" or scope.event_id != event_id:
        return Decision(_no_event(event_id))
    if action is Action.LIST_SCANS:
        return Decision(Forbidden(Code.FORBIDDEN, "this list is for organisers"))
    return Decision(read_event=action is Action.DOOR_STATS)


def authorise(scope: Scope, action: Action, event_id: str | None = None) -> Access:
    """Allowed calls get the workspace (and the event when read); refusals raise Forbidden (403) or NotFound (404)."""
    from .events import get_event  # the tables' settings are read when models is imported: not by the rule above

    decision = decide(scope, action, event_id)
    if decision.refusal is not None:
        raise decision.refusal
    event = get_event(event_id, scope.workspace_id) if decision.read_event and event_id is not None else None
    return Access(scope.workspace_id, event)


DOOR_ROUTES_PREFIX = "/events/{event_id}/checkins"


def may_call(scope: Scope, route_key: str, path_parameters: dict) -> bool:
    """The authorizer's gate, before a handler runs: organiser keys reach every route, a check-in key only
    its own event's door routes. The handler's `authorise` then gives the precise answer."""
    if scope.kind == "organiser":
        return True
    if scope.kind == "checkin":
        _method, _, path = route_key.partition(" ")
        return path.startswith(DOOR_ROUTES_PREFIX) and path_parameters.get("event_id") == scope.event_id
    return False
