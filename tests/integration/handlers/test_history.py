"""Status history at handler level: the stream function's entries, replays, poison records, group counters, mails."""

from __future__ import annotations

import random
import uuid

import pytest

from support.checkin import booked_guest, contact, door, door_key, scan
from support.events import dynamodb_record
from support.guests import new_event
from support.history import deliver, history, journey, outbox, stream_records

pytestmark = pytest.mark.usefixtures("verified_sender")


def test_a_guest_journey_leaves_one_entry_per_status_of_the_seed_list_with_cause(stack, organiser):
    manager = f"am-{uuid.uuid4().hex[:6]}@example.com"
    event_id, key, identifier, token, seat = journey(stack, organiser, manager)
    assert deliver(stack, stream_records(stack, event_id)) == []
    entries = history(stack, organiser, event_id, identifier)
    assert [(e["old_status"], e["new_status"], e["cause"], e["cause_ref"]) for e in entries] == [
        (None, "open", "organiser", organiser["scope"]["key_id"]),
        ("open", "accessed", "guest", "visit"),
        ("accessed", "waitlisted", "guest", "booking"),
        ("waitlisted", "unregistered", "guest", "cancel"),
        ("unregistered", "registered", "guest", "booking"),
        ("registered", "attended", "checkin", "door-7"),
    ]
    # the account manager got one mail per guest action, none with the link or the ticket
    mails = outbox(stack, manager)
    assert [m["subject"] for m in mails] == [
        "Greta Gast opened the personal invitation", "Greta Gast booked (waiting list)", "Greta Gast cancelled the booking",
        "Greta Gast booked", "Greta Gast was checked in at the door (door-7)"]
    assert all(token not in m["body"] and seat["ticket_code"] not in m["body"] and "/e/" not in m["body"] for m in mails)
    # the door counts the guest's group
    stats = door(stack, key["scope"], event_id, "GET", "/stats")[1]
    assert stats["by_group"] == {"vip": {"expected": 1, "checked_in": 1}}


def test_stream_records_replayed_twice_and_shuffled_give_the_same_history_counters_and_mails(stack, organiser):
    manager = f"am-{uuid.uuid4().hex[:6]}@example.com"
    event_id, key, identifier, _, _ = journey(stack, organiser, manager)
    records = stream_records(stack, event_id)
    shuffled = records * 2
    random.Random(7).shuffle(shuffled)
    assert deliver(stack, shuffled, batch=7) == []  # first delivery already out of order and duplicated
    first = history(stack, organiser, event_id, identifier)
    stats = door(stack, key["scope"], event_id, "GET", "/stats")[1]
    mails = outbox(stack, manager)
    assert [e["new_status"] for e in first] == ["open", "accessed", "waitlisted", "unregistered", "registered", "attended"]
    for seed in (1, 2):
        again = records[:]
        random.Random(seed).shuffle(again)
        assert deliver(stack, again, batch=5) == []
    assert history(stack, organiser, event_id, identifier) == first
    assert door(stack, key["scope"], event_id, "GET", "/stats")[1] == stats
    assert len(outbox(stack, manager)) == len(mails) == 5


def test_annulled_checkin_goes_back_to_registered_in_the_history(stack, organiser):
    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    identifier, _, booking = booked_guest(stack, organiser, event_id, groups=["press"])
    assert scan(stack, key, booking["ticket_code"], nonce="mistake", device="door-1")[0] == 201
    assert door(stack, key["scope"], event_id, suffix="/{nonce}/annul", body={"device": "door-1"}, params={"nonce": "mistake"})[0] == 200
    assert deliver(stack, stream_records(stack, event_id)) == []
    entries = history(stack, organiser, event_id, identifier)
    assert [(e["new_status"], e["cause"]) for e in entries][-2:] == [("attended", "checkin"), ("registered", "checkin")]
    assert contact(stack, organiser, event_id, identifier)["status"] == "registered"
    stats = door(stack, key["scope"], event_id, "GET", "/stats")[1]
    assert stats["checked_in"] == 0 and stats["by_group"] == {"press": {"expected": 1, "checked_in": 0}}


def _image(pk: str, status: str, version: int, **extra) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "CONTACT"}, "event_id": {"S": "evt-x"}, "identifier": {"S": pk.split("#")[-1]},
            "status": {"S": status}, "version": {"N": str(version)}, "updated_at": {"S": f"2027-01-01T00:00:0{version}.000Z"},
            "last_cause": {"M": {"kind": {"S": "import"}, "ref": {"S": "imp-1"}}}, **extra}


def test_poison_record_is_a_batch_item_failure_and_the_others_are_written(stack, organiser):
    pk_a, pk_b = f"C#evt-x#{uuid.uuid4().hex[:8]}", f"C#evt-x#{uuid.uuid4().hex[:8]}"
    good_a = dynamodb_record("INSERT", {"pk": {"S": pk_a}, "sk": {"S": "CONTACT"}}, _image(pk_a, "open", 1), None, sequence="101")
    bad_version = {**_image(pk_b, "open", 1), "version": {"S": "one"}}
    poison = dynamodb_record("INSERT", {"pk": {"S": pk_b}, "sk": {"S": "CONTACT"}}, bad_version, None, sequence="102")
    garbage = dynamodb_record("INSERT", {"pk": {"S": pk_b}, "sk": {"S": "CONTACT"}}, {"pk": {"Q": "?"}, "sk": {"S": "CONTACT"}},
                              None, sequence="103")
    good_b = dynamodb_record("MODIFY", {"pk": {"S": pk_a}, "sk": {"S": "CONTACT"}}, _image(pk_a, "accessed", 2),
                             _image(pk_a, "open", 1), sequence="104")
    response = stack.invoke("HistoryFunction", {"Records": [good_a, poison, garbage, good_b]})
    assert response["batchItemFailures"] == [{"itemIdentifier": "102"}, {"itemIdentifier": "103"}]
    from guestlist.history import history_of

    assert [(h["new_status"], h["cause"], h["cause_ref"]) for h in history_of(pk_a)] == [
        ("open", "import", "imp-1"), ("accessed", "import", "imp-1")]
    assert history_of(pk_b) == []


def test_bookings_and_changes_without_a_new_status_write_no_entry(stack):
    from guestlist.history import history_of

    pk = f"C#evt-x#{uuid.uuid4().hex[:8]}"
    same = dynamodb_record("MODIFY", {"pk": {"S": pk}, "sk": {"S": "CONTACT"}}, _image(pk, "open", 2, city={"S": "Bern"}),
                           _image(pk, "open", 1))
    booking = dynamodb_record("INSERT", {"pk": {"S": pk}, "sk": {"S": "BOOKING#bk-1"}},
                              {"pk": {"S": pk}, "sk": {"S": "BOOKING#bk-1"}, "status": {"S": "confirmed"}}, None)
    assert stack.invoke("HistoryFunction", {"Records": [same, booking]})["batchItemFailures"] == []
    assert history_of(pk) == []
