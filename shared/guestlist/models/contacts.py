"""The contacts table: a contact and its bookings share the partition `C#{event_id}#{identifier}`, so one
Query returns a guest's whole state; listing an event's contacts goes through the `by_event` index, spread
over `event_shards` partitions (DESIGN.md s9: no partition key may take more than 5 % of an event's import
writes). Links and tickets are found through indexes on their hashes.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .base import CONTACT_SK, _meta


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
