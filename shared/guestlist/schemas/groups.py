"""Contact groups of an event (DESIGN.md section 4, the seed's "Groupes de contacts")."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from .limits import LIST_MAX, Identifier, Name, RequiredName

Status = Literal["open", "accessed", "registered", "unregistered", "waitlisted", "attended"]


class ContactFilter(Struct, forbid_unknown_fields=True):
    """The contact listing's filters; a filter selects exactly the contacts the listing shows."""

    status: Status | None = None
    group: Name | None = None
    q: Name | None = None
    permission_group: Name | None = None

    def as_kwargs(self) -> dict:
        return {name: getattr(self, name) for name in self.__struct_fields__ if getattr(self, name)}


class GroupIn(Struct, forbid_unknown_fields=True):
    name: RequiredName


class Group(Struct):
    name: str
    members: int


class GroupList(Struct):
    groups: list[Group]


class MembersIn(Struct, forbid_unknown_fields=True):
    """Either `identifiers` or `filter`."""

    identifiers: Annotated[list[Identifier], Meta(max_length=LIST_MAX)] | UnsetType = UNSET
    filter: ContactFilter | UnsetType = UNSET


class MembersOut(Struct):
    added: int
    already: int
    not_found: list[str]
