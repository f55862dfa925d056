"""Contacts of an event: what an organiser sends and gets back (DESIGN.md sections 2 and 4)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from .contact import Contact, ContactStatus
from .limits import LIST_MAX, Answer, Answers, DateTime, EmailAddress, Identifier, Name, RequiredName

# the contact list's paging (its only list with a cursor)
Limit = Annotated[int, Meta(ge=1, le=500, description="Page size, 1 to 500.")]
Cursor = Annotated[str, Meta(max_length=2_000, description="Opaque: the `cursor` of the previous page, bound to its query.")]
Groups = Annotated[list[RequiredName], Meta(max_length=100, description="Contact groups (names).")]


class ContactFields(Struct, forbid_unknown_fields=True):
    """The predefined fields (seed: "identifiants prédéfinis"); form answers go in `custom`. An empty string
    leaves a field as it is (an empty cell never erases a stored value)."""

    title: Name | UnsetType | None = UNSET
    function: Name | UnsetType | None = UNSET
    firstname: Name | UnsetType | None = UNSET
    lastname: Name | UnsetType | None = UNSET
    organization: Name | UnsetType | None = UNSET
    phone_mobile: Name | UnsetType | None = UNSET
    image: Answer | UnsetType | None = UNSET
    job_title: Name | UnsetType | None = UNSET
    badge_info: Answer | UnsetType | None = UNSET
    email: EmailAddress | UnsetType | None = UNSET
    street: Name | UnsetType | None = UNSET
    zip: Name | UnsetType | None = UNSET
    city: Name | UnsetType | None = UNSET
    language: Name | UnsetType | None = UNSET
    account_manager: Name | UnsetType | None = UNSET
    permission_group: Name | UnsetType | None = UNSET
    custom: Answers | UnsetType | None = UNSET


class ContactCreate(ContactFields, forbid_unknown_fields=True, kw_only=True):
    identifier: Identifier
    groups: Groups | UnsetType | None = UNSET


class ContactPatch(ContactFields, forbid_unknown_fields=True):
    """Absent fields stay; `null` removes a predefined field; `custom` answers are merged in."""

    groups: Groups | UnsetType | None = UNSET


class ContactsQuery(Struct, forbid_unknown_fields=True):
    status: ContactStatus | None = None
    group: Name | None = None
    q: Name | None = None
    permission_group: Name | None = None
    cursor: Cursor | None = None
    limit: Limit = 100


class ContactsPage(Struct):
    contacts: list[Contact]
    cursor: str | None = None


class ContactDeleted(Struct):
    identifier: str
    deleted: bool


class HistoryEntry(Struct):
    changed_at: str
    old_status: str | None
    new_status: str | None
    cause: str | None
    cause_ref: str | None
    note: str | UnsetType = UNSET
    detail: dict[str, Any] | UnsetType = UNSET


class ContactHistory(Struct):
    identifier: str
    status: ContactStatus
    history: Annotated[list[HistoryEntry], Meta(max_length=LIST_MAX * 100)]


# ------------------------------------------------------------------ check-in keys

class CheckinKeyCreate(Struct, forbid_unknown_fields=True):
    label: Name | None = None


class CheckinKeyCreated(Struct):
    key_id: str
    key: Annotated[str, Meta(description="Shown once: store it on the door device.")]
    label: str | None
    event_id: str


class CheckinKeyListing(Struct):
    key_id: str
    label: str | None
    created_at: DateTime | None


class CheckinKeyList(Struct):
    keys: list[CheckinKeyListing]


class CheckinKeyRevoked(Struct):
    key_id: str
    revoked: bool
