"""Organiser keys (scoped to a workspace) and check-in keys (scoped to one event).

Keys are shown once and stored only as digests; the authorizer resolves a digest to a
scope (`access.Scope`) with one GetItem, and `access` decides what that scope may do.
Revoking deletes the digest item, so the key dies at once.
"""

from __future__ import annotations

import secrets

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from . import storage
from .access import Scope
from .clock import now_iso
from .codes import Code
from .errors import Conflict, InvalidRequest, NotFound
from .models import EventKeyModel, KeyModel, WorkspaceKeyModel, WorkspaceModel
from .retry import CONDITION_FAILED, cancellation_codes, retrying
from .tokens import digest, new_api_key


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
    """Register a known organiser key (GUESTLIST_ADMIN_KEY) and its workspace; idempotent."""
    now = now_iso()
    key_id = f"org-{digest(key)[:8]}"
    item = KeyModel(pk=f"KEY#{digest(key)}", key_id=key_id, kind="organiser",
                    workspace_id=workspace_id, label=label, created_at=now)
    retrying(item.save, what="organiser key")
    listing = WorkspaceKeyModel(pk=_workspace_pk(workspace_id), sk=f"ORGKEY#{key_id}", key_id=key_id, key_digest=digest(key),
                                label=label, created_at=now)
    retrying(listing.save, what="organiser key listing")
    if not _workspace_exists(workspace_id):
        for pk, sk in ((_workspace_pk(workspace_id), "WORKSPACE"), ("WORKSPACES", f"WS#{workspace_id}")):
            retrying(WorkspaceModel(pk=pk, sk=sk, workspace_id=workspace_id, name=workspace_id, created_at=now).save,
                     what="workspace")


# ------------------------------------------------------------------ workspaces and organiser keys (operators, DESIGN.md s12)

WORKSPACE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _workspace_pk(workspace_id: str) -> str:
    """Not WS#{id}: that partition holds the workspace's events and accounts, listed without an sk prefix."""
    return f"WORKSPACE#{workspace_id}"


def _workspace_exists(workspace_id: str) -> bool:
    try:
        WorkspaceModel.get(_workspace_pk(workspace_id), "WORKSPACE", consistent_read=True)
        return True
    except WorkspaceModel.DoesNotExist:
        return False


def create_workspace(name: str, workspace_id: str | None = None) -> tuple[dict, str]:
    """A new workspace and its first organiser key (returned once, stored only as a digest)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidRequest(Code.INVALID_FIELD, "the workspace name: 1 to 200 characters", {"field": "name"})
    workspace_id = workspace_id or f"ws-{secrets.token_hex(4)}"
    if not set(workspace_id) <= WORKSPACE_ID_CHARS or len(workspace_id) > 64:
        raise InvalidRequest(Code.INVALID_FIELD, "the workspace id: lowercase letters, digits and '-'", {"field": "workspace_id"})
    now = now_iso()
    key, key_item, listing = _new_organiser_key(workspace_id, "first key", now)
    record = WorkspaceModel(pk=_workspace_pk(workspace_id), sk="WORKSPACE", workspace_id=workspace_id, name=name, created_at=now)
    index = WorkspaceModel(pk="WORKSPACES", sk=f"WS#{workspace_id}", workspace_id=workspace_id, name=name, created_at=now)
    def items(tx: TransactWrite) -> None:
        tx.save(record, condition=WorkspaceModel.pk.does_not_exist())
        tx.save(index)
        tx.save(key_item, condition=KeyModel.pk.does_not_exist())
        tx.save(listing)

    try:
        storage.transact_write(KeyModel, items, what="workspace")
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == [CONDITION_FAILED]:
            raise Conflict(Code.WORKSPACE_EXISTS, f"workspace {workspace_id!r} exists") from exc
        raise
    return _workspace_json(record), key


def list_workspaces() -> list[dict]:
    return [_workspace_json(w) for w in WorkspaceModel.query("WORKSPACES", WorkspaceModel.sk.startswith("WS#"))]


def _workspace_json(item: WorkspaceModel) -> dict:
    return {"workspace_id": item.workspace_id, "name": item.name, "created_at": item.created_at}


def _new_organiser_key(workspace_id: str, label: str | None, now: str) -> tuple[str, KeyModel, WorkspaceKeyModel]:
    key = new_api_key("org")
    key_id = f"org-{secrets.token_hex(4)}"
    item = KeyModel(pk=f"KEY#{digest(key)}", key_id=key_id, kind="organiser", workspace_id=workspace_id,
                    label=label, created_at=now)
    listing = WorkspaceKeyModel(pk=_workspace_pk(workspace_id), sk=f"ORGKEY#{key_id}", key_id=key_id, key_digest=digest(key),
                                label=label, created_at=now)
    return key, item, listing


def create_organiser_key(workspace_id: str, label: str | None = None) -> tuple[str, dict]:
    """Another organiser key of an existing workspace: the key is returned once."""
    key, item, listing = _new_organiser_key(workspace_id, label, now_iso())
    def items(tx: TransactWrite) -> None:
        tx.condition_check(WorkspaceModel, _workspace_pk(workspace_id), "WORKSPACE", condition=WorkspaceModel.pk.exists())
        tx.save(item, condition=KeyModel.pk.does_not_exist())
        tx.save(listing)

    try:
        storage.transact_write(KeyModel, items, what="organiser key")
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == [CONDITION_FAILED]:
            raise NotFound(Code.WORKSPACE_NOT_FOUND, f"no workspace {workspace_id!r}") from exc
        raise
    return key, _key_json(listing)


def list_organiser_keys(workspace_id: str) -> list[dict]:
    if not _workspace_exists(workspace_id):
        raise NotFound(Code.WORKSPACE_NOT_FOUND, f"no workspace {workspace_id!r}")
    return [_key_json(k) for k in WorkspaceKeyModel.query(_workspace_pk(workspace_id), WorkspaceKeyModel.sk.startswith("ORGKEY#"))]


def _key_json(listing: WorkspaceKeyModel) -> dict:
    return {"key_id": listing.key_id, "label": listing.label, "created_at": listing.created_at}


def revoke_organiser_key(workspace_id: str, key_id: str) -> None:
    """The key dies at once: its digest item goes with its listing, in one transaction."""
    try:
        listing = WorkspaceKeyModel.get(_workspace_pk(workspace_id), f"ORGKEY#{key_id}", consistent_read=True)
    except WorkspaceKeyModel.DoesNotExist:
        raise NotFound(Code.KEY_NOT_FOUND, f"no organiser key {key_id!r} in workspace {workspace_id!r}") from None

    def items(tx: TransactWrite) -> None:
        tx.delete(KeyModel(pk=f"KEY#{listing.key_digest}", sk="KEY"))
        tx.delete(listing)

    storage.transact_write(KeyModel, items, what="organiser key revocation")


def create_checkin_key(workspace_id: str, event_id: str, label: str | None = None) -> tuple[str, EventKeyModel]:
    key = new_api_key("ck")
    key_id = f"ck-{secrets.token_hex(4)}"
    now = now_iso()
    item = KeyModel(pk=f"KEY#{digest(key)}", key_id=key_id, kind="checkin", workspace_id=workspace_id,
                    event_id=event_id, label=label, created_at=now)
    listing = EventKeyModel(pk=f"EVENT#{event_id}", sk=f"CHECKINKEY#{key_id}", key_id=key_id,
                            key_digest=digest(key), label=label, created_at=now)

    def items(tx: TransactWrite) -> None:
        tx.save(item, condition=KeyModel.pk.does_not_exist())
        tx.save(listing)

    storage.transact_write(KeyModel, items, what="check-in key")
    return key, listing


def list_checkin_keys(event_id: str) -> list[dict]:
    return [{"key_id": k.key_id, "label": k.label, "created_at": k.created_at}
            for k in EventKeyModel.query(f"EVENT#{event_id}", EventKeyModel.sk.startswith("CHECKINKEY#"))]


def revoke_checkin_key(event_id: str, key_id: str) -> None:
    try:
        listing = EventKeyModel.get(f"EVENT#{event_id}", f"CHECKINKEY#{key_id}")
    except EventKeyModel.DoesNotExist:
        raise NotFound(Code.KEY_NOT_FOUND, f"no check-in key {key_id!r} for this event") from None

    def items(tx: TransactWrite) -> None:
        tx.delete(KeyModel(pk=f"KEY#{listing.key_digest}", sk="KEY"))
        tx.delete(listing)

    storage.transact_write(KeyModel, items, what="key revocation")

