"""Accounts of a workspace, and the account-manager rule imports and the API share.

An account manager is named by username or email (case-insensitive); an unknown one
is never stored: the import leaves the field empty with a warning, the API refuses it.
"""

from __future__ import annotations

import re

from pynamodb.exceptions import PutError

from .clock import now_iso
from .errors import Conflict, InvalidRequest, NotFound
from .fields import normalise_email
from .models import AccountModel
from .retry import condition_failed, retrying

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_FIELDS = {"username", "email", "firstname", "lastname", "language", "gender", "groups"}
UNKNOWN_ACCOUNT_MANAGER = "unknown_account_manager"
UNKNOWN_ACCOUNT_GROUP = "unknown_account_group"
# What an account gives the contact it is imported as: account attribute -> contact field
# (gender and username are not predefined fields, so they land in the contact's custom fields).
ACCOUNT_COLUMNS = {"email": "email", "firstname": "firstname", "lastname": "lastname", "language": "language",
                   "gender": "gender", "username": "username"}


def _key(workspace_id: str, username: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"ACCOUNT#{username.strip().lower()}"


def create_account(workspace_id: str, fields: dict) -> AccountModel:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise InvalidRequest("unknown_field", f"unknown account field(s): {', '.join(sorted(unknown))}", {"fields": sorted(unknown)})
    username = str(fields.get("username") or "").strip()
    if not _USERNAME.match(username):
        raise InvalidRequest("invalid_field", "field 'username': letters, digits and . _ @ -, at most 64", {"field": "username"})
    email = None
    if fields.get("email"):
        try:
            email = normalise_email(str(fields["email"]))
        except ValueError as exc:
            raise InvalidRequest("invalid_email", f"field 'email': {exc}", {"field": "email"}) from None
    groups = fields.get("groups") or []
    if not isinstance(groups, list) or any(not isinstance(g, str) for g in groups):
        raise InvalidRequest("invalid_field", "field 'groups': a list of account-group names", {"field": "groups"})
    pk, sk = _key(workspace_id, username)
    account = AccountModel(pk=pk, sk=sk, username=username, email=email, created_at=now_iso(),
                           groups={g.strip() for g in groups if g.strip()} or None,
                           **{k: str(fields[k]).strip() for k in ("firstname", "lastname", "language", "gender") if fields.get(k)})
    try:
        retrying(lambda: account.save(condition=AccountModel.pk.does_not_exist()), what="account creation")
    except PutError as exc:
        if condition_failed(exc):
            raise Conflict("already_exists", f"an account {username!r} exists already") from exc
        raise
    return account


def get_account(workspace_id: str, username: str) -> AccountModel:
    try:
        return AccountModel.get(*_key(workspace_id, username))
    except AccountModel.DoesNotExist:
        raise NotFound("account_not_found", f"no account {username!r}") from None


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
        raise InvalidRequest(UNKNOWN_ACCOUNT_MANAGER, f"field 'account_manager': no account {value!r} in this workspace",
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
