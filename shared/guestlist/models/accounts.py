"""Accounts of a workspace and named groups: contact groups of an event, account groups of a workspace (events table)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..retry import condition_failed, retrying
from .base import _meta


class GroupModel(Model):
    """A named group, so it exists before it has members: a contact group in its event's partition,
    or an account group in its workspace's. Members carry the name (contacts' or accounts' `groups`);
    counts are counted from them on read (groups.py, accounts.py)."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id} | WS#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # GROUP#{name} | AGROUP#{name}
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @classmethod
    def register(cls, pk: str, sk: str, name: str, now: str) -> bool:
        """The group's item, once (a conditional put); False when it was there already."""
        item = cls(pk=pk, sk=sk, name=name, created_at=now)
        try:
            retrying(lambda: item.save(condition=cls.pk.does_not_exist()), what="group")
            return True
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise


class AccountModel(Model):
    """A platform user of a workspace (seed 000: accounts, account groups, account managers)."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WS#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # ACCOUNT#{username, lower-cased}
    username = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    firstname = UnicodeAttribute(null=True)
    lastname = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    groups = UnicodeSetAttribute(null=True)
    created_at = UnicodeAttribute()
