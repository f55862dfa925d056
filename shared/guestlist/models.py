"""PynamoDB models: every item the system stores, declared once.

Key design (DESIGN.md s9: no partition key may take more than 5 % of an event's import
writes): a contact and its bookings share the partition `C#{event_id}#{identifier}`, so
one Query returns a guest's whole state; listing an event's contacts goes through the
`by_event` index, spread over `event_shards` partitions. Links and tickets are found
through indexes on their hashes.
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import base as _pynamodb_connection
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .aws import shared_session
from .retry import condition_failed, retrying
from .settings import get_settings

CONTACT_SK = "CONTACT"
BOOKING_SK_PREFIX = "BOOKING#"


def contact_pk(event_id: str, identifier: str) -> str:
    return f"C#{event_id}#{identifier}"


def event_shard(event_id: str, identifier: str, shards: int | None = None) -> str:
    shards = shards or get_settings().event_shards
    return f"{event_id}#{zlib.crc32(identifier.encode('utf-8')) % shards:02d}"


def plain(value) -> dict:
    """A raw MapAttribute (or None) as a plain dict."""
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


# PynamoDB makes a botocore session per model and thread: all of them share the container's one
_pynamodb_connection.get_session = lambda: shared_session


class _TableName:
    """A Meta's table_name, read from the settings when PynamoDB asks (its first call in a process makes
    the connection), never at import: the models import with no environment (unit tests, the OpenAPI
    build), and a handler's tables are those of the environment its instance runs in."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: object, owner: type | None = None) -> str:
        return getattr(get_settings(), self.setting)


def _meta(setting: str) -> Any:
    # region and host None: botocore resolves them when the connection is made (AWS_DEFAULT_REGION,
    # AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL), like every other client (aws.client)
    return type("Meta", (), {"table_name": _TableName(setting), "region": None, "host": None,
                             "max_retry_attempts": 5})


# ------------------------------------------------------------------ contacts table

class ByLinkIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_link"
        projection = KeysOnlyProjection()

    link_hash = UnicodeAttribute(hash_key=True)


class ByTicketIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_ticket"
        projection = AllProjection()

    ticket_hash = UnicodeAttribute(hash_key=True)


class ByEventIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_event"
        projection = AllProjection()

    event_shard = UnicodeAttribute(hash_key=True)
    identifier = UnicodeAttribute(range_key=True)


class ByWaitlistIndex(GlobalSecondaryIndex):
    """Sparse: only waitlisted bookings carry these keys, oldest first per event."""

    class Meta:
        index_name = "by_waitlist"
        projection = KeysOnlyProjection()

    waitlist_event = UnicodeAttribute(hash_key=True)
    waitlist_at = UnicodeAttribute(range_key=True)


class Cause(MapAttribute):
    """Who or what made the last change: import, guest, organiser or check-in device."""

    kind = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)


class ContactModel(Model):
    Meta = _meta("contacts_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CONTACT_SK)
    event_id = UnicodeAttribute()
    identifier = UnicodeAttribute()
    event_shard = UnicodeAttribute()
    link_hash = UnicodeAttribute()
    link_version = NumberAttribute(default=1)
    status = UnicodeAttribute(default="open")
    version = NumberAttribute(default=1)
    origin = UnicodeAttribute(null=True)  # the operation that created it (import replays)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    accessed_at = UnicodeAttribute(null=True)
    declined_at = UnicodeAttribute(null=True)
    confirmed_count = NumberAttribute(default=0)
    waitlisted_count = NumberAttribute(default=0)
    attended_count = NumberAttribute(default=0)
    checked_in_at = UnicodeAttribute(null=True)  # the first accepted scan of any booking (exports read it here)
    groups = UnicodeSetAttribute(null=True)
    custom: MapAttribute[str, Any] = MapAttribute(default=dict)
    last_cause = Cause(null=True)

    title = UnicodeAttribute(null=True)
    function = UnicodeAttribute(null=True)
    firstname = UnicodeAttribute(null=True)
    lastname = UnicodeAttribute(null=True)
    organization = UnicodeAttribute(null=True)
    phone_mobile = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    job_title = UnicodeAttribute(null=True)
    badge_info = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    street = UnicodeAttribute(null=True)
    zip = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    account_manager = UnicodeAttribute(null=True)
    permission_group = UnicodeAttribute(null=True)

    by_link = ByLinkIndex()
    by_event = ByEventIndex()


class BookingModel(Model):
    Meta = _meta("contacts_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # BOOKING#{booking_id}
    booking_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    identifier = UnicodeAttribute()
    status = UnicodeAttribute()  # confirmed | waitlisted | cancelled
    ticket_hash = UnicodeAttribute()
    answers: MapAttribute[str, Any] = MapAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    checked_in_at = UnicodeAttribute(null=True)
    checkin_device = UnicodeAttribute(null=True)
    checkin_nonce = UnicodeAttribute(null=True)
    checkin_nonces = UnicodeSetAttribute(null=True)  # every scan accepted for it (replays, offline duplicates)
    checkin_received_at = UnicodeAttribute(null=True)  # server time of the accepted scan (checked_in_at is the device's)
    waitlist_event = UnicodeAttribute(null=True)
    waitlist_at = UnicodeAttribute(null=True)
    permission_group = UnicodeAttribute(null=True)  # the group whose seat it holds (counted in GroupSeatModel)
    over_capacity = BooleanAttribute(null=True)  # an organiser's deliberate overbooking

    by_ticket = ByTicketIndex()
    by_waitlist = ByWaitlistIndex()


# ------------------------------------------------------------------ events table

class EventModel(Model):
    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True, default="EVENT")
    event_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    start = UnicodeAttribute(null=True)
    end = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(default="Europe/Zurich")
    venue = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    # PynamoDB types `of` as the element's Python type (str), but it takes the element's Attribute class
    languages: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=lambda: ["de", "fr", "en"])  # type: ignore[arg-type]
    default_language = UnicodeAttribute(default="en")
    country = UnicodeAttribute(default="CH")
    capacity = NumberAttribute(null=True)
    confirmed_count = NumberAttribute(default=0)
    self_cancellation = BooleanAttribute(default=True)
    personal_link_only = BooleanAttribute(default=False)
    permission_groups = UnicodeSetAttribute(null=True)  # names only: events stored before groups had settings
    max_bookings_per_contact = NumberAttribute(default=1)
    waitlist_auto_promote = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Section 10, stored as JSON text (read whole, written whole): the form, the localised
    # texts ({"name": {lang: text}, ...}; `name`/`venue`/`description` above keep the
    # default-language text), permission groups with their settings, the organiser block
    # and the online join settings.
    form_json = UnicodeAttribute(null=True)
    texts_json = UnicodeAttribute(null=True)
    access_json = UnicodeAttribute(null=True)
    organiser_json = UnicodeAttribute(null=True)
    online_json = UnicodeAttribute(null=True)
    privacy_url = UnicodeAttribute(null=True)


class GroupSeatModel(Model):
    """Confirmed bookings of one permission group, moved in the booking transaction beside the
    event's seat counter; `capacity` (absent = no cap) is the group's, so the condition
    `confirmed < capacity` is checked on one item, race-free."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # GROUPSEAT#{name}
    confirmed = NumberAttribute(default=0)
    capacity = NumberAttribute(null=True)


class RateLimitModel(Model):
    """One client address's requests to one event in one time window; expires by TTL."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # RATE#{event_id}#{address digest}
    sk = UnicodeAttribute(range_key=True)  # WINDOW#{window start}
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


class WorkspaceEventModel(Model):
    """Index item: the events of a workspace, for listing without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WS#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # EVENT#{event_id}
    event_id = UnicodeAttribute()
    name = UnicodeAttribute()


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


class KeyModel(Model):
    """An organiser or check-in key, found by its digest; the key itself is never stored."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # KEY#{digest}
    sk = UnicodeAttribute(range_key=True, default="KEY")
    key_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # organiser | checkin
    workspace_id = UnicodeAttribute()
    event_id = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class EventKeyModel(Model):
    """Index item: the check-in keys of an event (without the key), for listing and revoking."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # CHECKINKEY#{key_id}
    key_id = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class WorkspaceModel(Model):
    """A workspace (tenant): its name, and an index item under WORKSPACES for listing them without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WORKSPACE#{workspace_id} (the record) | WORKSPACES (the listing)
    sk = UnicodeAttribute(range_key=True)  # WORKSPACE | WS#{workspace_id}
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()


class WorkspaceKeyModel(Model):
    """Index item: the organiser keys of a workspace (without the key), for listing and revoking."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # WORKSPACE#{workspace_id}
    sk = UnicodeAttribute(range_key=True)  # ORGKEY#{key_id}
    key_id = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


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


class ImportJobModel(Model):
    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # IMPORT#{import_id}
    sk = UnicodeAttribute(range_key=True, default="JOB")
    import_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    source = UnicodeAttribute(default="xlsx")
    object_key = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # validating | running | completed | completed_with_errors | failed | checked (dry run)
    error: MapAttribute[str, Any] = MapAttribute(null=True)
    options: MapAttribute[str, Any] = MapAttribute(default=dict)
    rows_total = NumberAttribute(default=0)
    chunks_total = NumberAttribute(default=0)
    chunks_sent = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    deleted = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    warnings = NumberAttribute(default=0)
    kept = NumberAttribute(default=0)  # delete-missing: absent from the file but kept for their bookings
    columns: MapAttribute[str, Any] = MapAttribute(default=dict)
    issues_key = UnicodeAttribute(null=True)  # S3 key of the validation issues (JSON)
    report_key = UnicodeAttribute(null=True)  # S3 key of the xlsx report
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)


class ExportJobModel(Model):
    """One export of an event's contacts: requested by the API, written by the export worker."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EXPORT#{export_id}
    sk = UnicodeAttribute(range_key=True, default="JOB")
    export_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    format = UnicodeAttribute()  # xlsx | csv
    filter: MapAttribute[str, Any] = MapAttribute(default=dict)
    status = UnicodeAttribute()  # running | completed | failed
    rows = NumberAttribute(default=0)
    object_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)


class EventImportModel(Model):
    """Index item: the imports of an event, newest last, for listing without a scan."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # IMPORT#{created_at}#{import_id}
    import_id = UnicodeAttribute()


class ChunkResultModel(Model):
    """Marks one chunk as counted, with its rows' issues: a redelivery is never counted twice."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # IMPORT#{import_id}
    sk = UnicodeAttribute(range_key=True)  # CHUNK#{index:06d}
    outcome = UnicodeAttribute()  # processed | processing_failed
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    issues = UnicodeAttribute(default="[]")  # JSON list, at most one chunk's rows
    created_at = UnicodeAttribute()


# ------------------------------------------------------------------ history table

class HistoryModel(Model):
    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # contact pk
    sk = UnicodeAttribute(range_key=True)  # {changed_at}#{version:010d}
    event_id = UnicodeAttribute()
    identifier = UnicodeAttribute()
    old_status = UnicodeAttribute(null=True)
    new_status = UnicodeAttribute()
    changed_at = UnicodeAttribute()
    cause = UnicodeAttribute()
    cause_ref = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    detail: MapAttribute[str, Any] = MapAttribute(null=True)  # e.g. both scans of an offline_conflict
    notify = UnicodeAttribute(null=True)  # account-manager mail: pending | sent:{message_id} | none


class ScanModel(Model):
    """Every scan at the door, accepted or not; sharded so a door rush spreads over partitions."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # SCANS#{event_id}#{shard:02d}
    sk = UnicodeAttribute(range_key=True)  # {received_at}#{nonce}
    event_id = UnicodeAttribute()
    nonce = UnicodeAttribute()
    result = UnicodeAttribute()  # ok | duplicate | rejected | annulled
    reason = UnicodeAttribute(null=True)
    device = UnicodeAttribute()
    scanned_at = UnicodeAttribute()  # the device's clock
    received_at = UnicodeAttribute()  # ours
    offline = BooleanAttribute(default=False)
    booking_id = UnicodeAttribute(null=True)
    identifier = UnicodeAttribute(null=True)
    code_hash = UnicodeAttribute(null=True)  # a prefix of the code's digest, never the code


class CheckinNonceModel(Model):
    """One accepted scan by its nonce: makes replays exact and lets the device annul it."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # NONCE#{event_id}#{nonce}
    sk = UnicodeAttribute(range_key=True, default="NONCE")
    booking_pk = UnicodeAttribute()
    booking_sk = UnicodeAttribute()
    device = UnicodeAttribute()
    scanned_at = UnicodeAttribute()
    received_at = UnicodeAttribute()
    annulled_at = UnicodeAttribute(null=True)


class CheckinCounterModel(Model):
    """One shard of an event's checked-in counter, moved in the check-in transaction."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # STATS#{event_id}#{shard:02d}
    sk = UnicodeAttribute(range_key=True, default="CHECKINS")
    checked_in = NumberAttribute(default=0)


class GroupCounterModel(Model):
    """Per contact group: contacts registered or attended, and attended; moved with each history entry,
    and by each group change that keeps the status (GroupMoveModel)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # GROUPS#{event_id}
    sk = UnicodeAttribute(range_key=True)  # GROUP#{name}
    group = UnicodeAttribute()
    expected = NumberAttribute(default=0)
    checked_in = NumberAttribute(default=0)


class GroupMoveModel(Model):
    """One contact version whose group change (status kept) moved the group counters, written in the same
    transaction: a replayed stream record finds it and moves nothing. Not a history entry (own partition)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # GROUPMOVE#{contact pk}
    sk = UnicodeAttribute(range_key=True)  # {updated_at}#{version:010d}, then #{part} for a write's 2nd, 3rd... part
    event_id = UnicodeAttribute()


class GuestMailModel(Model):
    """The marker of one transactional message owed for one status change, claimed before it is sent.

    state: pending (claimed; the send may or may not have happened) | retry (certainly not
    sent: may be claimed again) | sent | failed | skipped (no address).
    """

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # MAIL#{contact pk}
    sk = UnicodeAttribute(range_key=True)  # the history entry's key: {changed_at}#{version:010d}
    kind = UnicodeAttribute()
    state = UnicodeAttribute()
    channel = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute()
    attempts = NumberAttribute(default=1)


# ------------------------------------------------------------------ campaigns

class CampaignModel(Model):
    """A campaign of an event: audience, channel, templates, and its send's progress and counts."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # EVENT#{event_id}
    sk = UnicodeAttribute(range_key=True)  # CAMPAIGN#{campaign_id}
    campaign_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    audience: MapAttribute[str, Any] = MapAttribute(default=dict)
    channel = UnicodeAttribute()
    templates: MapAttribute[str, Any] = MapAttribute(default=dict)
    status = UnicodeAttribute()  # draft | scheduled | sending | sent
    recipients: MapAttribute[str, Any] = MapAttribute(default=dict)  # counts when created (or last planned)
    send_id = UnicodeAttribute(null=True)  # the current send (schedule or now); a stale plan is ignored
    scheduled_at = UnicodeAttribute(null=True)
    schedule_name = UnicodeAttribute(null=True)
    chunks_total = NumberAttribute(null=True)
    chunks_done = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    excluded = NumberAttribute(default=0)
    unconfirmed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)


class CampaignChunkModel(Model):
    """One chunk of a send: its progress (kept across redeliveries) and, once done, its outcomes."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # CAMPAIGN#{campaign_id}
    sk = UnicodeAttribute(range_key=True)  # CHUNK#{send_id}#{index:06d}
    state = UnicodeAttribute()  # progress | done
    outcomes = UnicodeAttribute(default="{}")  # JSON {"sent": [...], "failed": {id: reason}, "unconfirmed": [...], "excluded": {id: reason}}
    updated_at = UnicodeAttribute()


class CampaignSendModel(Model):
    """Per recipient and campaign: claimed with a condition before the SES/SNS call (at most once)."""

    Meta = _meta("history_table")

    pk = UnicodeAttribute(hash_key=True)  # SEND#{campaign_id}#{identifier}
    sk = UnicodeAttribute(range_key=True, default="SEND")
    attempt = UnicodeAttribute()  # the delivery that claimed it
    claimed_at = UnicodeAttribute()


class SuppressionModel(Model):
    """An address that gets no campaigns: unsubscribed from a workspace, or undeliverable (bounce, complaint)."""

    Meta = _meta("events_table")

    pk = UnicodeAttribute(hash_key=True)  # ADDR#{email or phone, lower-cased}
    sk = UnicodeAttribute(range_key=True)  # UNSUB#{workspace_id} | UNDELIVERABLE
    kind = UnicodeAttribute()  # unsubscribed | bounce | complaint
    at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
