"""Contacts of an event: creation (API and import), personal links, reads and listing.

A contact and its bookings live in one partition; its status is derived from facts on
the contact item (see status.py) and changes of it reach the history through the stream.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import TypeVar, overload

import msgspec
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from . import aws
from .clock import now_iso
from .codes import Code
from .errors import Conflict, InvalidRequest, MalformedRequest, NotFound
from .events import get_event
from .fields import PROFILE_FIELDS, clean_profile, normalise_identifier
from .guest_state import GuestState, load_state_by_pk
from .lean_imports import on_first_use
from .models import (
    CONTACT_SK,
    Cause,
    ContactModel,
    EventModel,
    contact_pk,
    event_shard,
    plain,
)
from .retry import Again, carry_deadline, condition_failed, retrying
from .secret import link_secret
from .settings import get_settings
from .status import Status
from .tokens import digest, link_token, looks_like_token, open_cursor, sign_cursor

# only a contact naming its account manager needs the accounts (and their models): cold start, DESIGN.md s9
accounts = on_first_use("guestlist.accounts")

T = TypeVar("T")


# ------------------------------------------------------------------ links

def personal_link(contact: ContactModel, base_url: str | None = None) -> str:
    token = link_token(link_secret(), contact.event_id, contact.identifier, int(contact.link_version))
    base = (base_url if base_url is not None else aws.public_base_url()).rstrip("/")
    lang = f"?lang={contact.language}" if contact.language else ""
    return f"{base}/e/{token}{lang}"


def _link_hash(event_id: str, identifier: str, version: int) -> str:
    return digest(link_token(link_secret(), event_id, identifier, version))


@overload
def resolve_link(token: str) -> tuple[GuestState, None]: ...
@overload
def resolve_link(token: str, beside: Callable[[str], T]) -> tuple[GuestState, T]: ...
def resolve_link(token: str, beside: Callable[[str], T] | None = None) -> tuple[GuestState, T | None]:
    """Token -> the guest's state in two round trips: the hash index, then the partition.

    The index is eventually consistent, so the partition read (strongly consistent)
    re-checks the hash: a rotated link is dead at once. Every failure is the same 404.
    `beside(event_id)` runs concurrently with the partition read (the contact's key names
    its event), so reading the event's current settings adds no third round trip.
    """
    not_found = NotFound(Code.LINK_NOT_FOUND, "this link is not valid")
    if not looks_like_token(token):
        raise not_found
    token_hash = digest(token)
    hits = list(ContactModel.by_link.query(token_hash, limit=1))
    if not hits:
        raise not_found
    pk = hits[0].pk
    alongside = _BESIDE.submit(beside, pk.split("#", 2)[1]) if beside is not None else None
    state = load_state_by_pk(pk)
    if state is None or state.contact.link_hash != token_hash:
        raise not_found
    return state, alongside.result() if alongside is not None else None


# One small pool per container, for the read that runs beside a guest's partition read.
_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="beside")


def rotate_link(event_id: str, identifier: str, cause: Cause) -> ContactModel:
    contact = get_contact(event_id, identifier)
    version = int(contact.link_version) + 1
    retrying(lambda: contact.update(
        actions=[
            ContactModel.link_version.set(version),
            ContactModel.link_hash.set(_link_hash(event_id, contact.identifier, version)),
            ContactModel.version.add(1),
            ContactModel.updated_at.set(now_iso()),
            ContactModel.last_cause.set(cause),
        ],
        condition=ContactModel.link_version == version - 1,
    ), what="link rotation")
    return contact


# ------------------------------------------------------------------ reads

def get_contact(event_id: str, identifier: str) -> ContactModel:
    try:
        return ContactModel.get(contact_pk(event_id, normalise_identifier(identifier)), CONTACT_SK, consistent_read=True)
    except ContactModel.DoesNotExist:
        raise NotFound(Code.CONTACT_NOT_FOUND, "no contact with this identifier in this event") from None


def list_contacts(event_id: str, *, status: str | None = None, group: str | None = None, q: str | None = None,
                  permission_group: str | None = None, cursor: str | None = None,
                  limit: int = 100) -> tuple[list[ContactModel], str | None]:
    """Walk the event's index shards in order; the cursor is (shard, last key), signed for this very query."""
    query = {"event_id": event_id, "status": status, "group": group, "q": q, "permission_group": permission_group}
    start_shard, last_key = 0, None
    if cursor:
        start_shard, last_key = _open_list_cursor(cursor, query, get_settings().event_shards)
    out: list[ContactModel] = []
    matching = _matching(event_id, start_shard, last_key, status=status, group=group, q=q,
                         permission_group=permission_group)
    for shard, contact in matching:
        out.append(contact)
        if len(out) >= limit:
            position = [shard, {"pk": {"S": contact.pk}, "sk": {"S": contact.sk},
                                "event_shard": {"S": contact.event_shard}, "identifier": {"S": contact.identifier}}]
            return out, sign_cursor(link_secret(), position, query)
    return out, None


def _open_list_cursor(cursor: str, query: dict, shards: int) -> tuple[int, dict]:
    position = open_cursor(link_secret(), cursor, query)  # a JSON value, None when not ours
    if isinstance(position, list) and len(position) == 2:
        shard, last_key = position
        if isinstance(shard, int) and 0 <= shard < shards and isinstance(last_key, dict):
            return shard, last_key
    raise MalformedRequest(Code.INVALID_CURSOR, "the cursor is not one this API returned for this query",
                           {"field": "cursor"})


def iter_contacts(event_id: str, **filters) -> Iterator[ContactModel]:
    """Every contact the listing with these filters gives, streamed: the listing's own Query
    pages and filter, one DynamoDB page in memory at a time (groups by filter, exports)."""
    return (contact for _shard, contact in _matching(event_id, 0, None, **filters))


def contact_pages(event_id: str, *, page_size: int = 500, shards_ahead: int = 0,
                  **filters) -> Iterator[list[ContactModel]]:
    """`iter_contacts` in lists of at most `page_size` (for work done a batch at a time); with
    `shards_ahead`, that many index shards are read meanwhile on threads (see `_shard_contacts`)."""
    page: list[ContactModel] = []
    for _shard, contact in _matching(event_id, 0, None, shards_ahead=shards_ahead, **filters):
        page.append(contact)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page


def _shard_contacts(event_id: str, start_shard: int, last_key: dict | None,
                    shards_ahead: int = 0) -> Iterator[tuple[int, Iterable[ContactModel]]]:
    """Each index shard's contacts from `start_shard` on, in shard order.

    By default a shard's Query pages are read as they are consumed (one page in memory). With
    `shards_ahead` > 0 (a walk over the whole audience: a campaign plan spent most of its time
    on the 32 Queries one after the other), the next `shards_ahead` shards are read meanwhile on as
    many threads, each whole (a shard is 1/event_shards of the event), still yielded in order.
    """
    shards = range(start_shard, get_settings().event_shards)

    def query(shard: int) -> Iterable[ContactModel]:
        return ContactModel.by_event.query(f"{event_id}#{shard:02d}", limit=None,
                                           last_evaluated_key=last_key if shard == start_shard else None)

    if shards_ahead <= 0:
        for shard in shards:
            yield shard, query(shard)
        return
    read = carry_deadline(lambda shard: list(query(shard)))
    pool = ThreadPoolExecutor(max_workers=shards_ahead, thread_name_prefix="shard-read")
    try:
        upcoming = iter(shards)
        pending = deque((shard, pool.submit(read, shard)) for shard in islice(upcoming, shards_ahead))
        while pending:
            shard, future = pending.popleft()
            contacts = future.result()
            for following in islice(upcoming, 1):
                pending.append((following, pool.submit(read, following)))
            yield shard, contacts
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _matching(event_id: str, start_shard: int, last_key: dict | None, *, status: str | None = None,
              group: str | None = None, q: str | None = None, permission_group: str | None = None,
              shards_ahead: int = 0) -> Iterator[tuple[int, ContactModel]]:
    """The listing's one filter, over the event's index shards in order: (shard, contact)."""
    needle = (q or "").strip().casefold()
    for shard, pages in _shard_contacts(event_id, start_shard, last_key, shards_ahead):
        for contact in pages:
            if status and contact.status != status:
                continue
            if group and group not in (contact.groups or set()):
                continue
            if permission_group and contact.permission_group != permission_group:
                continue
            if needle and needle not in " ".join(filter(None, [contact.identifier, contact.firstname, contact.lastname, contact.organization, contact.email])).casefold():
                continue
            yield shard, contact


# ------------------------------------------------------------------ writes

def _new_contact(event: EventModel, identifier: str, profile: dict, custom: dict, *, groups: Iterable[str],
                 cause: Cause, origin: str | None, now: str) -> ContactModel:
    contact = ContactModel(
        pk=contact_pk(event.event_id, identifier),
        sk=CONTACT_SK,
        event_id=event.event_id,
        identifier=identifier,
        event_shard=event_shard(event.event_id, identifier),
        link_hash=_link_hash(event.event_id, identifier, 1),
        link_version=1,
        status=Status.OPEN.value,
        version=1,
        origin=origin,
        created_at=now,
        updated_at=now,
        custom=custom,
        groups=set(groups) or None,
        last_cause=cause,
        **profile,
    )
    if not contact.language:
        contact.language = event.default_language
    return contact


def create_contact(event_id: str, workspace_id: str, fields: dict, cause: Cause) -> ContactModel:
    """Organiser-created contact: identifier required, same validation as the import."""
    event = get_event(event_id, workspace_id)
    raw_identifier = fields.get("identifier")
    if raw_identifier is None or not str(raw_identifier).strip():
        raise InvalidRequest(Code.MISSING_IDENTIFIER, "field 'identifier' is required", {"field": "identifier"})
    identifier = normalise_identifier(raw_identifier)
    rest = {k: v for k, v in fields.items() if k not in ("identifier", "groups")}
    groups = fields.get("groups") or []
    if not isinstance(groups, list) or any(not isinstance(g, str) for g in groups):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'groups': a list of names", {"field": "groups"})
    profile, custom = clean_profile(rest, region=event.country, languages=list(event.languages))
    if "account_manager" in profile:
        profile["account_manager"] = accounts.require_account_manager(workspace_id, profile["account_manager"])
    contact = _new_contact(event, identifier, profile, custom, groups=[g.strip() for g in groups if g.strip()],
                           cause=cause, origin=None, now=now_iso())
    try:
        retrying(lambda: contact.save(condition=ContactModel.pk.does_not_exist()), what="contact creation")
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict(Code.ALREADY_EXISTS, "a contact with this identifier exists in this event") from exc
        raise
    return contact


class RowOutcome(msgspec.Struct, frozen=True):
    result: str  # created | updated | skipped | failed (a dead-lettered chunk's row that cannot be written)
    code: str | None = None
    message: str | None = None


# The mode's outcomes for a row, shared with the import's dry run (which writes nothing).
ALREADY_EXISTS = RowOutcome("skipped", "already_exists", "create only: a contact with this identifier exists")
NOT_FOUND = RowOutcome("skipped", "not_found", "update only: no contact with this identifier")


def upsert_row(event: EventModel, existing: ContactModel | None, identifier: str, profile: dict, custom: dict, *,
               mode: str, op_id: str, groups: Iterable[str], permission_group: str | None, cause: Cause) -> RowOutcome:
    """One conditional write for one import row. Replays give the same outcome.

    `existing` comes from one BatchGet per chunk; a race with another writer is settled
    by the write's condition and another attempt on the other path.
    """
    groups = [g for g in groups if g]
    if permission_group:
        profile = {**profile, "permission_group": permission_group}
    now = now_iso()

    def attempt() -> RowOutcome:
        nonlocal existing
        if existing is not None and existing.origin == op_id:
            return RowOutcome("created")  # this very row created it before: a redelivery
        if existing is None:
            if mode == "update":
                return NOT_FOUND
            contact = _new_contact(event, identifier, profile, custom, groups=groups, cause=cause, origin=op_id, now=now)
            try:
                contact.save(condition=ContactModel.pk.does_not_exist())
                return RowOutcome("created")
            except PutError as exc:
                if not condition_failed(exc):
                    raise
                existing = _read_contact(contact.pk)
                raise Again("created meanwhile") from exc
        if mode == "create":
            return ALREADY_EXISTS
        actions = [getattr(ContactModel, name).set(value) for name, value in profile.items()]
        actions += [ContactModel.custom[name].set(value) for name, value in custom.items()]
        if groups:
            actions.append(ContactModel.groups.add(set(groups)))
        actions += [ContactModel.version.add(1), ContactModel.updated_at.set(now), ContactModel.last_cause.set(cause)]
        try:
            existing.update(actions=actions, condition=ContactModel.pk.exists())
            return RowOutcome("updated")
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            existing = None
            raise Again("deleted meanwhile: create it") from exc

    return retrying(attempt, what="import row")


def _read_contact(pk: str) -> ContactModel | None:
    try:
        return ContactModel.get(pk, CONTACT_SK, consistent_read=True)
    except ContactModel.DoesNotExist:
        return None


def fetch_existing(event_id: str, identifiers: list[str]) -> dict[str, ContactModel]:
    keys = [(contact_pk(event_id, i), CONTACT_SK) for i in identifiers]
    return {c.identifier: c for c in ContactModel.batch_get(keys, consistent_read=True)}


def record_visit(state: GuestState) -> bool:
    """The guest opened the link: open -> accessed, once. Returns True when it changed."""
    contact = state.contact
    if contact.accessed_at:
        return False
    now = now_iso()
    actions: list[Action] = [ContactModel.accessed_at.set(now), ContactModel.version.add(1), ContactModel.updated_at.set(now),
               ContactModel.last_cause.set(Cause(kind="guest", ref="visit"))]
    if contact.status == Status.OPEN:
        actions.append(ContactModel.status.set(Status.ACCESSED.value))
    try:
        retrying(lambda: contact.update(actions=actions, condition=ContactModel.accessed_at.does_not_exist()
                                        & (ContactModel.status == contact.status)), what="visit")
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


# ------------------------------------------------------------------ JSON

def contact_json(contact: ContactModel, *, with_link: bool = True) -> dict:
    out: dict[str, object] = {"identifier": contact.identifier, "event_id": contact.event_id, "status": contact.status}
    for name in PROFILE_FIELDS:
        value = getattr(contact, name)
        if value is not None:
            out[name] = value
    out["custom"] = plain(contact.custom)
    out["groups"] = sorted(contact.groups or [])
    out["created_at"] = contact.created_at
    out["updated_at"] = contact.updated_at
    if with_link:
        out["personal_link"] = personal_link(contact)
    return out


def update_contact(event_id: str, workspace_id: str, identifier: str, fields: dict, cause: Cause) -> ContactModel:
    """Organiser edit: given values are set (validated like the import), null removes a field.

    The identifier is the key and cannot change; status is derived, never set.
    """
    event = get_event(event_id, workspace_id)
    contact = get_contact(event_id, identifier)
    removed = [name for name, value in fields.items() if value is None and name in PROFILE_FIELDS]
    groups = fields.get("groups")
    if groups is not None and (not isinstance(groups, list) or any(not isinstance(g, str) for g in groups)):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'groups': a list of names", {"field": "groups"})
    if "groups" in fields and groups is None:
        groups = []  # null clears the groups
    profile, custom = clean_profile({k: v for k, v in fields.items() if k != "groups"},
                                    region=event.country, languages=list(event.languages))
    if "account_manager" in profile:
        profile["account_manager"] = accounts.require_account_manager(workspace_id, profile["account_manager"])
    actions = [getattr(ContactModel, name).set(value) for name, value in profile.items()]
    actions += [getattr(ContactModel, name).remove() for name in removed]
    actions += [ContactModel.custom[name].set(value) for name, value in custom.items()]
    if groups is not None:
        cleaned = {g.strip() for g in groups if g.strip()}
        actions.append(ContactModel.groups.set(cleaned) if cleaned else ContactModel.groups.remove())
    if not actions:
        return contact
    actions += [ContactModel.version.add(1), ContactModel.updated_at.set(now_iso()), ContactModel.last_cause.set(cause)]
    retrying(lambda: contact.update(actions=actions, condition=ContactModel.pk.exists()), what="contact update")
    return contact


def delete_contact(event_id: str, workspace_id: str, identifier: str, cause: Cause) -> None:
    """Delete a contact without active bookings (with its cancelled ones); the history keeps its trace."""
    get_event(event_id, workspace_id)
    state = load_state_by_pk(contact_pk(event_id, normalise_identifier(identifier)))
    if state is None:
        raise NotFound(Code.CONTACT_NOT_FOUND, "no contact with this identifier in this event")
    if any(b.status in ("confirmed", "waitlisted") for b in state.bookings):
        raise Conflict(Code.HAS_BOOKINGS, "the contact has a booking; cancel it first")
    contact = state.contact
    retrying(lambda: contact.update(actions=[ContactModel.last_cause.set(cause), ContactModel.updated_at.set(now_iso())]),
             what="contact deletion")
    try:
        retrying(lambda: contact.delete(condition=(ContactModel.confirmed_count == 0) & (ContactModel.waitlisted_count == 0)),
                 what="contact deletion")
    except Exception as exc:
        if condition_failed(exc):
            raise Conflict(Code.HAS_BOOKINGS, "the contact has a booking; cancel it first") from exc
        raise
    for booking in state.bookings:
        retrying(booking.delete, what="contact deletion")
