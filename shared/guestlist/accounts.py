"""Accounts of a workspace, and the account-manager rule imports and the API share.

An account manager is named by username or email (case-insensitive); an unknown one
is never stored: the import leaves the field empty with a warning, the API refuses it.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from .clock import now_iso
from .codes import Code
from .errors import Conflict, InvalidRequest, NotFound
from .fields import normalise_email
from .models import AccountModel, GroupModel
from .retry import condition_failed, retrying

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_FIELDS = {"username", "email", "firstname", "lastname", "language", "gender", "groups"}
# What an account gives the contact it is imported as: account attribute -> contact field
# (gender and username are not predefined fields, so they land in the contact's custom fields).
ACCOUNT_COLUMNS = {"email": "email", "firstname": "firstname", "lastname": "lastname", "language": "language",
                   "gender": "gender", "username": "username"}


def _key(workspace_id: str, username: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"ACCOUNT#{username.strip().lower()}"


def create_account(workspace_id: str, fields: dict) -> AccountModel:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise InvalidRequest(Code.UNKNOWN_FIELD, f"unknown account field(s): {', '.join(sorted(unknown))}", {"fields": sorted(unknown)})
    username = str(fields.get("username") or "").strip()
    if not _USERNAME.match(username):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'username': letters, digits and . _ @ -, at most 64", {"field": "username"})
    email = None
    if fields.get("email"):
        try:
            email = normalise_email(str(fields["email"]))
        except ValueError as exc:
            raise InvalidRequest(Code.INVALID_EMAIL, f"field 'email': {exc}", {"field": "email"}) from None
    groups = fields.get("groups") or []
    if not isinstance(groups, list) or any(not isinstance(g, str) for g in groups):
        raise InvalidRequest(Code.INVALID_FIELD, "field 'groups': a list of account-group names", {"field": "groups"})
    _choice("language", fields.get("language") or None, LANGUAGES)
    _choice("gender", fields.get("gender") or None, GENDERS)
    pk, sk = _key(workspace_id, username)
    # Any: PynamoDB's Model.__init__ has a bool parameter a dict[str, str] could fill, as far as mypy knows
    profile: dict[str, Any] = {k: str(fields[k]).strip() for k in ("firstname", "lastname", "language", "gender")
                               if fields.get(k)}
    account = AccountModel(pk=pk, sk=sk, username=username, email=email, created_at=now_iso(),
                           groups={g.strip() for g in groups if g.strip()} or None, **profile)
    try:
        retrying(lambda: account.save(condition=AccountModel.pk.does_not_exist()), what="account creation")
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict(Code.ALREADY_EXISTS, f"an account {username!r} exists already") from exc
        raise
    return account


def get_account(workspace_id: str, username: str) -> AccountModel:
    try:
        return AccountModel.get(*_key(workspace_id, username))
    except AccountModel.DoesNotExist:
        raise NotFound(Code.ACCOUNT_NOT_FOUND, f"no account {username!r}") from None


def list_accounts(workspace_id: str, group: str | None = None) -> list[AccountModel]:
    accounts = AccountModel.query(f"WS#{workspace_id}", AccountModel.sk.startswith("ACCOUNT#"))
    return [a for a in accounts if group is None or group in (a.groups or set())]


def manager_index(workspace_id: str) -> dict[str, str]:
    """username or email (lower-cased) -> username, for the whole workspace: one query per import."""
    index: dict[str, str] = {}
    for account in list_accounts(workspace_id):
        index[account.username.lower()] = account.username
        if account.email:
            index[account.email.lower()] = account.username
    return index


def resolve_account_manager(value: str, index: dict[str, str]) -> str | None:
    """The username an account manager names, or None when no account answers to it."""
    return index.get(str(value).strip().lower())


def manager_email(workspace_id: str, value: str) -> str | None:
    """Where a manager's notifications go: the value if it is an address, else its account's email."""
    if "@" in value:
        return value.strip()
    try:
        return get_account(workspace_id, value).email
    except NotFound:
        return None


def account_json(account: AccountModel) -> dict:
    return {"username": account.username, "email": account.email, "firstname": account.firstname,
            "lastname": account.lastname, "language": account.language, "gender": account.gender,
            "groups": sorted(account.groups or [])}


def email_of_account_in(event_id: str):
    """A lookup username -> email within the event's workspace (reads only when called)."""
    def lookup(username: str) -> str | None:
        from .events import get_event_cached

        return manager_email(get_event_cached(event_id).workspace_id, username)

    return lookup


def require_account_manager(workspace_id: str, value: str) -> str:
    """Interactive form of the rule: an unknown manager is refused (422), a known one stored by username."""
    username = resolve_account_manager(value, manager_index(workspace_id))
    if username is None:
        raise InvalidRequest(Code.UNKNOWN_ACCOUNT_MANAGER, f"field 'account_manager': no account {value!r} in this workspace",
                             {"field": "account_manager"})
    return username


def account_rows(members: list[AccountModel], languages: tuple[str, ...], default_language: str):
    """An account group as the rows a workbook would give (seed 000, "Importation via comptes").

    Row n is the n-th account in username order; the identifier is the account's email, else its
    username. The account's language is used when the event offers it, else the event's default
    (with the workbook's `unknown_language` warning when the account named another one). Two
    accounts sharing an email are one contact: the later is skipped as `duplicate_identifier`.
    """
    from .fields import PROFILE_FIELDS, normalise_identifier
    from .workbook import Row, WorkbookReport
    from .workbook.rules import duplicate_identifier, unknown_language

    report = WorkbookReport(status="valid", error=None, rows_total=len(members),
                            columns={"mapped": dict(ACCOUNT_COLUMNS), "ignored": []})
    first_rows: dict[str, int] = {}
    for n, account in enumerate(members, start=1):
        identifier = normalise_identifier(account.email or account.username)
        issue = duplicate_identifier(n, identifier, "email" if account.email else "username", first_rows)
        if issue:
            report.issues.append(issue)
            continue
        values = {field: getattr(account, attribute) for attribute, field in ACCOUNT_COLUMNS.items() if getattr(account, attribute)}
        fields = {k: v for k, v in values.items() if k in PROFILE_FIELDS}
        custom = {k: v for k, v in values.items() if k not in PROFILE_FIELDS}
        if "language" in fields:
            issue = unknown_language(n, identifier, "language", fields, languages, default_language)
            if issue:
                report.issues.append(issue)
        else:
            fields["language"] = default_language
        report.rows.append(Row(row=n, identifier=identifier, fields=fields, custom=custom))
    if any(i.severity == "skipped" for i in report.issues):
        report.status = "valid_with_errors"
    return report


# ------------------------------------------------------------------ changes and account groups

LANGUAGES = ("de", "fr", "en", "it")  # the platform's languages
GENDERS = ("female", "male", "diverse", "unspecified")
_GROUP_PREFIX = "AGROUP#"


def _choice(name: str, value, allowed: tuple[str, ...]):
    if value is not None and value not in allowed:
        raise InvalidRequest(Code.INVALID_FIELD, f"field {name!r}: one of {', '.join(allowed)}", {"field": name})
    return value


def update_account(workspace_id: str, username: str, fields: dict) -> AccountModel:
    """PATCH: given fields are set, `null` clears one; the username is the key and stays."""
    account = get_account(workspace_id, username)
    _choice("language", fields.get("language"), LANGUAGES)
    _choice("gender", fields.get("gender"), GENDERS)
    actions = []
    for name, value in fields.items():
        attribute = getattr(AccountModel, name)
        if name == "email" and value is not None:
            try:
                value = normalise_email(str(value))
            except ValueError as exc:
                raise InvalidRequest(Code.INVALID_EMAIL, f"field 'email': {exc}", {"field": "email"}) from None
        if name == "groups":
            value = {g.strip() for g in value or () if g.strip()} or None
        elif isinstance(value, str):
            value = value.strip() or None
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    if actions:
        retrying(lambda: account.update(actions=actions, condition=AccountModel.pk.exists()), what="account")
    return account


def delete_account(workspace_id: str, username: str) -> None:
    """The account goes; contacts naming it as account manager keep the name (no mail finds it)."""
    try:
        retrying(lambda: AccountModel(*_key(workspace_id, username)).delete(condition=AccountModel.pk.exists()),
                 what="account")
    except DeleteError as exc:
        if condition_failed(exc):
            raise NotFound(Code.ACCOUNT_NOT_FOUND, f"no account {username!r}") from None
        raise


def _group_key(workspace_id: str, name: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"{_GROUP_PREFIX}{name}"


def _registered_groups(workspace_id: str) -> set[str]:
    return {g.name for g in GroupModel.query(f"WS#{workspace_id}", GroupModel.sk.startswith(_GROUP_PREFIX))}


def list_account_groups(workspace_id: str) -> list[dict]:
    """Registered groups and groups accounts carry, with their member counts (one query each)."""
    counts: dict[str, int] = {}
    for account in list_accounts(workspace_id):
        for name in account.groups or ():
            counts[name] = counts.get(name, 0) + 1
    return [{"name": n, "members": counts.get(n, 0)} for n in sorted(_registered_groups(workspace_id) | set(counts))]


def get_account_group(workspace_id: str, name: str) -> dict:
    members = list_accounts(workspace_id, name)
    if not members and name not in _registered_groups(workspace_id):
        raise NotFound(Code.ACCOUNT_GROUP_NOT_FOUND, f"no account group {name!r}")
    return {"name": name, "members": [account_json(a) for a in members]}


def _register_group(workspace_id: str, name: str) -> bool:
    return GroupModel.register(*_group_key(workspace_id, name), name, now_iso())


def create_account_group(workspace_id: str, name: str) -> dict:
    name = name.strip()
    if not name:
        raise InvalidRequest(Code.INVALID_FIELD, "field 'name': an account group needs a name", {"field": "name"})
    if list_accounts(workspace_id, name) or not _register_group(workspace_id, name):
        raise Conflict(Code.ACCOUNT_GROUP_EXISTS, f"the account group {name!r} exists already", {"field": "name"})
    return {"name": name, "members": 0}


def add_account_group_members(workspace_id: str, name: str, usernames: list[str]) -> dict:
    """Accounts join the group (created if missing); each decided by its write's condition."""
    _register_group(workspace_id, name)
    result: dict = {"added": 0, "already": 0, "not_found": []}

    def join(username: str) -> None:
        AccountModel(*_key(workspace_id, username)).update(
            actions=[AccountModel.groups.add({name})],
            condition=AccountModel.pk.exists() & ~AccountModel.groups.contains(name))

    for username in dict.fromkeys(u.strip() for u in usernames if u.strip()):
        try:
            retrying(partial(join, username), what="account group member")
            result["added"] += 1
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            try:
                get_account(workspace_id, username)
                result["already"] += 1
            except NotFound:
                result["not_found"].append(username)
    return result


def remove_account_group_member(workspace_id: str, name: str, username: str) -> None:
    try:
        retrying(lambda: AccountModel(*_key(workspace_id, username)).update(
            actions=[AccountModel.groups.delete({name})], condition=AccountModel.pk.exists()), what="account group member")
    except UpdateError as exc:
        if condition_failed(exc):
            raise NotFound(Code.ACCOUNT_NOT_FOUND, f"no account {username!r}") from None
        raise
