"""Events and their permission groups' seat counters (events table): what booking and every read of an event need."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .base import _meta


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
