"""Contact groups of an event (the seed's "Groupes de contacts"): names, members, counts.

Membership lives on each contact (`groups`, a string set), where imports (`group` option),
PATCH and these routes all put it. A group also has a registry item so it exists before
its first member. Member counts are counted on read, from the contacts themselves: a
stored counter would have to move in the same transaction as every write that touches
`groups` - including each import row, where a 50,000-row import into one group would
send every write through one counter item (section 9 allows a partition key 5 % of an
import's writes) and make concurrent chunk workers' transactions collide. Counting on read
is exact by construction under any concurrency, replay or crash, and costs one paged walk
of the event's index (only the `groups` attribute), paid by the organiser's groups page.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from .clock import now_iso
from .codes import Code
from .contacts import fetch_existing, iter_contacts
from .errors import Conflict, InvalidRequest, NotFound
from .fields import normalise_identifier
from .models import CONTACT_SK, Cause, ContactModel, GroupModel, contact_pk
from .retry import condition_failed, retrying
from .settings import get_settings

_PREFIX = "GROUP#"


def _registry_key(event_id: str, name: str) -> tuple[str, str]:
    return f"EVENT#{event_id}", f"{_PREFIX}{name}"


def clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'name': a group needs a name", {"field": "name"})
    return cleaned


def member_counts(event_id: str) -> dict[str, int]:
    """Group name -> contacts in it, counted over the event's index shards (groups attribute only)."""
    counts: dict[str, int] = {}
    for shard in range(get_settings().event_shards):
        for contact in ContactModel.by_event.query(f"{event_id}#{shard:02d}", attributes_to_get=["groups"]):
            for name in contact.groups or ():
                counts[name] = counts.get(name, 0) + 1
    return counts


def _registered(event_id: str) -> set[str]:
    pk, _ = _registry_key(event_id, "")
    return {g.name for g in GroupModel.query(pk, GroupModel.sk.startswith(_PREFIX))}


def list_groups(event_id: str) -> list[dict]:
    """Registered groups and groups that contacts carry (an import's `group`, a PATCH), by name."""
    counts = member_counts(event_id)
    names = _registered(event_id) | set(counts)
    return [{"name": name, "members": counts.get(name, 0)} for name in sorted(names)]


def _has_members(event_id: str, name: str) -> bool:
    return any(True for _contact in iter_contacts(event_id, group=name))


def _register(event_id: str, name: str) -> bool:
    return GroupModel.register(*_registry_key(event_id, name), name, now_iso())


def create_group(event_id: str, name: str) -> dict:
    name = clean_name(name)
    if _has_members(event_id, name) or not _register(event_id, name):
        raise Conflict(Code.GROUP_EXISTS, f"the group {name!r} exists already", {"field": "name"})
    return {"name": name, "members": 0}


def delete_group(event_id: str, name: str, cause: Cause) -> None:
    """The group goes; its contacts stay, without it. The registry item goes last, so an
    interrupted delete leaves the group listed and a second DELETE finishes it."""
    pk, sk = _registry_key(event_id, name)
    registered = GroupModel.count(pk, GroupModel.sk == sk) > 0
    removed = 0
    for contact in iter_contacts(event_id, group=name):
        removed += _remove(contact.pk, name, cause)
    if not registered and not removed:
        raise NotFound(Code.GROUP_NOT_FOUND, f"no group {name!r} in this event")
    if registered:
        retrying(GroupModel(pk=pk, sk=sk).delete, what="group")


def _contact_actions(cause: Cause) -> list:
    return [ContactModel.version.add(1), ContactModel.updated_at.set(now_iso()), ContactModel.last_cause.set(cause)]


def _add(pk: str, name: str, cause: Cause) -> str:
    """added | already | not_found, decided by the write's condition, never by an earlier read."""
    try:
        retrying(lambda: ContactModel(pk=pk, sk=CONTACT_SK).update(
            actions=[ContactModel.groups.add({name}), *_contact_actions(cause)],
            condition=ContactModel.pk.exists() & ~ContactModel.groups.contains(name)), what="group member")
        return "added"
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
    try:
        ContactModel.get(pk, CONTACT_SK, consistent_read=True, attributes_to_get=["pk"])
        return "already"
    except ContactModel.DoesNotExist:
        return "not_found"


def _remove(pk: str, name: str, cause: Cause) -> int:
    try:
        retrying(lambda: ContactModel(pk=pk, sk=CONTACT_SK).update(
            actions=[ContactModel.groups.delete({name}), *_contact_actions(cause)],
            condition=ContactModel.groups.contains(name)), what="group member")
        return 1
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
        return 0


def add_members(event_id: str, name: str, cause: Cause, *, identifiers: list[str] | None = None,
                filters: dict | None = None) -> dict:
    """Add contacts named by identifier, or every contact the listing gives for `filters`.

    The group is created if missing. A filter walks the very listing code the contacts route
    uses (`iter_contacts`), so it adds exactly the contacts that listing shows.
    """
    name = clean_name(name)
    if (identifiers is None) == (filters is None):
        raise InvalidRequest(Code.INVALID_FIELD, "give either 'identifiers' or 'filter'", {"field": "identifiers"})
    _register(event_id, name)
    counts = {"added": 0, "already": 0}
    not_found: list[str] = []
    if identifiers is not None:
        wanted = list(dict.fromkeys(normalise_identifier(i) for i in identifiers if str(i).strip()))
        existing = {}
        for start in range(0, len(wanted), 100):
            existing.update(fetch_existing(event_id, wanted[start:start + 100]))
        for identifier in wanted:
            contact = existing.get(identifier)
            if contact is None:
                not_found.append(identifier)
            elif name in (contact.groups or ()):
                counts["already"] += 1
            else:
                outcome = _add(contact.pk, name, cause)
                if outcome == "not_found":
                    not_found.append(identifier)
                else:
                    counts[outcome] += 1
        return {**counts, "not_found": not_found}
    assert filters is not None  # exactly one of the two, checked above
    for contact in iter_contacts(event_id, **filters):
        if name in (contact.groups or ()):
            counts["already"] += 1
        else:
            outcome = _add(contact.pk, name, cause)
            if outcome != "not_found":  # deleted while we walked: not a member the listing still shows
                counts[outcome] += 1
    return {**counts, "not_found": not_found}


def remove_member(event_id: str, name: str, identifier: str, cause: Cause) -> None:
    pk = contact_pk(event_id, normalise_identifier(identifier))
    if _remove(pk, name, cause):
        return
    try:
        ContactModel.get(pk, CONTACT_SK, consistent_read=True, attributes_to_get=["pk"])
    except ContactModel.DoesNotExist:
        raise NotFound(Code.CONTACT_NOT_FOUND, "no contact with this identifier in this event") from None
