"""Campaigns: what an organiser sends and gets back (DESIGN.md section 11)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from .groups import Status
from .limits import LIST_MAX, DateTime, Identifier, Name, RequiredName, Text

Channel = Literal["email", "sms", "email_or_sms"]
Lang = Literal["de", "fr", "en", "it"]


class Audience(Struct, forbid_unknown_fields=True):
    """The contact list's filters, plus `identifiers` (the listed contacts only, narrowed by any filter)."""

    status: Status | None = None
    group: Name | None = None
    q: Name | None = None
    permission_group: Name | None = None
    identifiers: Annotated[list[Identifier], Meta(max_length=LIST_MAX)] | None = None


class Template(Struct, forbid_unknown_fields=True):
    """Jinja2 in a sandbox. Placeholders: contact fields, {{ link }}, {{ event.name }}, {{ event.start }}."""

    body: Text
    subject: Name = ""


class CampaignIn(Struct, forbid_unknown_fields=True):
    name: RequiredName
    templates: Annotated[dict[Lang, Template], Meta(min_length=1, description="Per language; the event's default language is required.")]
    audience: Audience | None = None
    channel: Channel = "email"


class SendIn(Struct, forbid_unknown_fields=True):
    at: DateTime | None = None


class Excluded(Struct):
    no_address: int
    unsubscribed: int
    undeliverable: int


class RecipientCounts(Struct):
    total: int
    email: int
    sms: int
    excluded: Excluded
    audience: int


class Counts(Struct):
    sent: int
    failed: int
    excluded: int
    unconfirmed: int


class Progress(Struct):
    chunks_total: int | None
    chunks_done: int


class Failure(Struct):
    identifier: str
    reason: str


class Campaign(Struct):
    campaign_id: str
    event_id: str
    name: str
    status: Literal["draft", "scheduled", "sending", "sent"]
    channel: Channel
    audience: dict
    recipients: RecipientCounts
    counts: Counts
    progress: Progress
    scheduled_at: str | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    templates: dict | None = None
    failures: list[Failure] | None = None


class CampaignList(Struct):
    campaigns: list[Campaign]


class RecipientsQuery(Struct, forbid_unknown_fields=True):
    excluded: bool | None = None


class RecipientRow(Struct):
    identifier: str
    channel: str | None
    excluded: str | None


class RecipientList(Struct):
    recipients: list[RecipientRow]


class PreviewQuery(Struct, forbid_unknown_fields=True):
    identifier: Identifier


class Preview(Struct):
    identifier: str
    language: str
    channel: str | None
    excluded: str | None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    headers: dict | None = None
    sms: str | None = None


