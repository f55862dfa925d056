"""Account changes and account groups of a workspace (DESIGN.md section 4: "groupes de comptes")."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from .limits import LIST_MAX, EmailAddress, Name, RequiredName

Gender = Literal["female", "male", "diverse", "unspecified"]
PlatformLanguage = Literal["de", "fr", "en", "it"]
Username = Annotated[str, Meta(min_length=1, max_length=64)]


class AccountPatch(Struct, forbid_unknown_fields=True):
    """Absent fields stay; `null` clears one. The username is the key and cannot change."""

    email: EmailAddress | UnsetType | None = UNSET
    firstname: Name | UnsetType | None = UNSET
    lastname: Name | UnsetType | None = UNSET
    language: PlatformLanguage | UnsetType | None = UNSET
    gender: Gender | UnsetType | None = UNSET
    groups: Annotated[list[RequiredName], Meta(max_length=100)] | UnsetType | None = UNSET


class AccountView(Struct):
    username: str
    email: str | None
    firstname: str | None
    lastname: str | None
    language: str | None
    gender: str | None
    groups: list[str]


class AccountGroupIn(Struct, forbid_unknown_fields=True):
    name: RequiredName


class AccountGroupSummary(Struct):
    name: str
    members: int


class AccountGroupList(Struct):
    account_groups: list[AccountGroupSummary]


class AccountGroup(Struct):
    name: str
    members: list[AccountView]


class AccountGroupMembersIn(Struct, forbid_unknown_fields=True):
    usernames: Annotated[list[Username], Meta(min_length=1, max_length=LIST_MAX)]


class AccountGroupMembersOut(Struct):
    added: int
    already: int
    not_found: list[str]
