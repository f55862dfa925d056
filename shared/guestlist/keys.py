"""Organiser keys (scoped to a workspace) and check-in keys (scoped to one event).

Keys are shown once and stored only as digests; the authorizer resolves a digest to a
scope with one GetItem. Revoking deletes the digest item, so the key dies at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pynamodb.transactions import TransactWrite

from .clock import now_iso
from .errors import NotFound
from .models import EventKeyModel, KeyModel
from .retry import retrying
from .tokens import digest, new_api_key


@dataclass(frozen=True)
class Scope:
    kind: str  # organiser | checkin
    workspace_id: str
    key_id: str
    event_id: str | None = None

    def as_context(self) -> dict:
        return {"kind": self.kind, "workspace_id": self.workspace_id, "key_id": self.key_id, "event_id": self.event_id or ""}

    @classmethod
    def from_context(cls, context: dict) -> "Scope":
        return cls(kind=context.get("kind", ""), workspace_id=context.get("workspace_id", ""),
                   key_id=context.get("key_id", ""), event_id=context.get("event_id") or None)


def bearer_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def resolve_key(key: str) -> Scope | None:
    try:
        item = KeyModel.get(f"KEY#{digest(key)}", "KEY", consistent_read=True)
    except KeyModel.DoesNotExist:
        return None
    return Scope(kind=item.kind, workspace_id=item.workspace_id, key_id=item.key_id, event_id=item.event_id)


def ensure_organiser_key(workspace_id: str, key: str, label: str = "admin") -> None:
    """Register a known organiser key (GUESTLIST_ADMIN_KEY); idempotent."""
    item = KeyModel(pk=f"KEY#{digest(key)}", key_id=f"org-{digest(key)[:8]}", kind="organiser",
                    workspace_id=workspace_id, label=label, created_at=now_iso())
    retrying(item.save, what="organiser key")


def create_checkin_key(workspace_id: str, event_id: str, label: str | None = None) -> tuple[str, EventKeyModel]:
    key = new_api_key("ck")
    key_id = f"ck-{secrets.token_hex(4)}"
    now = now_iso()
    item = KeyModel(pk=f"KEY#{digest(key)}", key_id=key_id, kind="checkin", workspace_id=workspace_id,
                    event_id=event_id, label=label, created_at=now)
    listing = EventKeyModel(pk=f"EVENT#{event_id}", sk=f"CHECKINKEY#{key_id}", key_id=key_id,
                            key_digest=digest(key), label=label, created_at=now)

    def write() -> None:
        with TransactWrite(connection=KeyModel._get_connection().connection) as tx:
            tx.save(item, condition=KeyModel.pk.does_not_exist())
            tx.save(listing)

    retrying(write, what="check-in key")
    return key, listing


def list_checkin_keys(event_id: str) -> list[dict]:
    return [{"key_id": k.key_id, "label": k.label, "created_at": k.created_at}
            for k in EventKeyModel.query(f"EVENT#{event_id}", EventKeyModel.sk.startswith("CHECKINKEY#"))]


def revoke_checkin_key(event_id: str, key_id: str) -> None:
    try:
        listing = EventKeyModel.get(f"EVENT#{event_id}", f"CHECKINKEY#{key_id}")
    except EventKeyModel.DoesNotExist:
        raise NotFound("key_not_found", f"no check-in key {key_id!r} for this event") from None

    def write() -> None:
        with TransactWrite(connection=KeyModel._get_connection().connection) as tx:
            tx.delete(KeyModel(pk=f"KEY#{listing.key_digest}", sk="KEY"))
            tx.delete(listing)

    retrying(write, what="key revocation")


CHECKIN_ROUTES_PREFIX = "/events/{event_id}/checkins"


def may_call(scope: Scope, route_key: str, path_parameters: dict) -> bool:
    """Check-in keys reach only their own event's check-in routes; organiser keys reach all."""
    if scope.kind == "organiser":
        return True
    if scope.kind == "checkin":
        _method, _, path = route_key.partition(" ")
        return path.startswith(CHECKIN_ROUTES_PREFIX) and path_parameters.get("event_id") == scope.event_id
    return False
