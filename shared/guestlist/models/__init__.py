"""PynamoDB models: every item the system stores, declared once, in submodules loaded on first use.

PynamoDB's metaclass walks every member of a model class when the class is created, about 2 M
instructions each (all models together: ~8 % of `import boto3`), while most handlers use a few of them
(DESIGN.md s9, cold start). So this package only names them: `from guestlist.models import ContactModel`
imports the submodule that declares it (`contacts`, and `base`, which every submodule imports) on first
access and binds the name here, the same object as the submodule's. The submodules group the models
that the handlers use together. A new name goes into its submodule, `_SUBMODULE` and the TYPE_CHECKING
imports (which give mypy and editors the real types); tests/unit/test_models_package.py checks they agree.
"""

# ruff: noqa: F401 (the TYPE_CHECKING imports are for mypy and editors; the unit test checks them against _SUBMODULE)

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .access import EventKeyModel, KeyModel, WorkspaceKeyModel, WorkspaceModel
    from .accounts import AccountModel, GroupModel
    from .base import BOOKING_SK_PREFIX, CONTACT_SK, contact_pk, event_shard, plain
    from .campaigns import CampaignChunkModel, CampaignModel, CampaignSendModel, SuppressionModel
    from .contacts import (
        BookingModel,
        ByEventIndex,
        ByLinkIndex,
        ByTicketIndex,
        ByWaitlistIndex,
        Cause,
        ContactModel,
    )
    from .door import CheckinCounterModel, CheckinNonceModel, ScanModel
    from .events import EventModel, GroupSeatModel
    from .exports import ExportJobModel
    from .history import GroupCounterModel, GroupMoveModel, GuestMailModel, HistoryModel
    from .imports import ChunkResultModel, EventImportModel, ImportJobModel
    from .rate_limits import RateLimitModel
    from .workspace_events import WorkspaceEventModel

# name -> the submodule that declares it
_SUBMODULE = {
    "CONTACT_SK": "base", "BOOKING_SK_PREFIX": "base", "contact_pk": "base", "event_shard": "base", "plain": "base",
    # the contacts table: every API and worker that reads or writes guests
    "ByLinkIndex": "contacts", "ByTicketIndex": "contacts", "ByEventIndex": "contacts", "ByWaitlistIndex": "contacts",
    "Cause": "contacts", "ContactModel": "contacts", "BookingModel": "contacts",
    "EventModel": "events", "GroupSeatModel": "events", "WorkspaceEventModel": "workspace_events",
    "AccountModel": "accounts", "GroupModel": "accounts",
    # the authorizer's
    "KeyModel": "access", "EventKeyModel": "access", "WorkspaceModel": "access", "WorkspaceKeyModel": "access",
    "ImportJobModel": "imports", "EventImportModel": "imports", "ChunkResultModel": "imports",
    "ExportJobModel": "exports",
    "RateLimitModel": "rate_limits",
    # the check-in API's
    "ScanModel": "door", "CheckinNonceModel": "door", "CheckinCounterModel": "door",
    # the history function's
    "HistoryModel": "history", "GroupCounterModel": "history", "GroupMoveModel": "history", "GuestMailModel": "history",
    # the campaign sender's
    "CampaignModel": "campaigns", "CampaignChunkModel": "campaigns", "CampaignSendModel": "campaigns",
    "SuppressionModel": "campaigns",
}

__all__ = sorted(_SUBMODULE)


if not TYPE_CHECKING:  # for mypy the imports above declare the names; a misspelt one stays an error

    def __getattr__(name: str) -> Any:
        """PEP 562: a name's first access imports its submodule and binds the name here."""
        try:
            submodule = _SUBMODULE[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{__name__}.{submodule}"), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_SUBMODULE))
