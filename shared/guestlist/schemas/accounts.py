"""Accounts of a workspace (DESIGN.md section 4: the seed's "comptes")."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from .limits import EmailAddress, Name, RequiredName

Username = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", description="Letters, digits and . _ @ -, at most 64.")]


class AccountCreate(Struct, forbid_unknown_fields=True):
    """An empty `email` is no address."""

    username: Username
    email: EmailAddress | None = None
    firstname: Name | None = None
    lastname: Name | None = None
    language: Name | None = None
    gender: Name | None = None
    groups: Annotated[list[RequiredName], Meta(max_length=100)] | None = None


class AccountsQuery(Struct, forbid_unknown_fields=True):
    group: Name | None = None


class Account(Struct):
    username: str
    email: str | None
    firstname: str | None
    lastname: str | None
    language: str | None
    gender: str | None
    groups: list[str]


class AccountList(Struct):
    accounts: list[Account]
