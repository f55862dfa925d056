"""Status history at handler level: the stream function's entries, replays, poison records, group counters, mails."""

from __future__ import annotations

import random
import uuid
from types import SimpleNamespace

import pytest

from support.checkin import booked_guest, contact, door, door_key, scan
from support.events import dynamodb_record
from support.guests import new_event, organiser_call
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


# ------------------------------------------------------------------ group changes that keep the status

def _by_group(stack, key, event_id) -> dict:
    status, stats, _ = door(stack, key["scope"], event_id, "GET", "/stats")
    assert status == 200, stats
    return stats["by_group"]


def _contact_call(stack, organiser, method, event_id, identifier, body=None, route_suffix="/contacts/{identifier}",
                  name=None):
    """PATCH of a contact, or a group member route (route_suffix `/groups/{name}/members...`)."""
    params = {"event_id": event_id, "identifier": identifier, **({"name": name} if name else {})}
    route = "/events/{event_id}" + route_suffix
    path = route
    for k, v in params.items():
        path = path.replace("{" + k + "}", v)
    status, answer, _ = organiser_call(stack, organiser, method, path, route, body=body, path_parameters=params)
    assert status in (200, 204), answer
    return answer


def _zero(*names) -> dict:
    return {n: {"expected": 0, "checked_in": 0} for n in names}


def test_a_guest_moved_to_another_group_with_the_same_status_moves_the_door_counts(stack, organiser):
    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    moved, _, seat = booked_guest(stack, organiser, event_id, groups=["a"])
    booked_guest(stack, organiser, event_id, groups=["a"])
    assert scan(stack, key, seat["ticket_code"], nonce="m-1", device="door-1")[0] == 201
    assert deliver(stack, stream_records(stack, event_id)) == []
    assert _by_group(stack, key, event_id) == {"a": {"expected": 2, "checked_in": 1}}
    before = history(stack, organiser, event_id, moved)
    _contact_call(stack, organiser, "PATCH", event_id, moved, body={"groups": ["b"]})  # attended, still
    assert deliver(stack, stream_records(stack, event_id)) == []  # the earlier records again with it: replays
    assert _by_group(stack, key, event_id) == {"a": {"expected": 1, "checked_in": 0}, "b": {"expected": 1, "checked_in": 1}}
    assert history(stack, organiser, event_id, moved) == before  # status history lists status changes only


def test_a_group_change_delivered_again_moves_the_counters_once(stack, organiser):
    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    identifier, _, _ = booked_guest(stack, organiser, event_id, groups=["a"])
    assert deliver(stack, stream_records(stack, event_id)) == []
    _contact_call(stack, organiser, "PATCH", event_id, identifier, body={"groups": ["b"]})
    records = stream_records(stack, event_id)
    change = records[-1]
    assert deliver(stack, [change, change]) == []  # twice in one batch
    assert deliver(stack, [change]) == []  # and again on its own
    again = records * 2
    random.Random(3).shuffle(again)
    assert deliver(stack, again, batch=3) == []  # and within partial and full batch replays, out of order
    assert _by_group(stack, key, event_id) == {**_zero("a"), "b": {"expected": 1, "checked_in": 0}}


def test_one_write_that_adds_a_group_and_removes_another_moves_both_and_leaves_the_kept_one(stack, organiser):
    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    identifier, _, _ = booked_guest(stack, organiser, event_id, groups=["a", "keep"])
    booked_guest(stack, organiser, event_id, groups=["keep"])
    _contact_call(stack, organiser, "PATCH", event_id, identifier, body={"groups": ["keep", "b"]})
    assert deliver(stack, stream_records(stack, event_id)) == []
    one = {"expected": 1, "checked_in": 0}
    assert _by_group(stack, key, event_id) == {**_zero("a"), "b": one, "keep": {"expected": 2, "checked_in": 0}}
    # the group routes write groups too, one member at a time
    _contact_call(stack, organiser, "POST", event_id, identifier, body={"identifiers": [identifier]},
                  route_suffix="/groups/{name}/members", name="c")
    _contact_call(stack, organiser, "DELETE", event_id, identifier, route_suffix="/groups/{name}/members/{identifier}",
                  name="keep")
    assert deliver(stack, stream_records(stack, event_id)) == []
    assert _by_group(stack, key, event_id) == {**_zero("a"), "b": one, "c": one, "keep": one}


def _contact_image(event_id: str, name: str, status: str, version: int, groups: set[str]) -> dict:
    pk = f"C#{event_id}#{name}"
    image = {"pk": {"S": pk}, "sk": {"S": "CONTACT"}, "event_id": {"S": event_id}, "identifier": {"S": name},
             "status": {"S": status}, "version": {"N": str(version)}, "updated_at": {"S": f"2027-01-01T00:00:0{version}.000Z"},
             "last_cause": {"M": {"kind": {"S": "organiser"}, "ref": {"S": "key-1"}}}}
    if groups:
        image["groups"] = {"SS": sorted(groups)}
    return image


def test_status_and_group_changes_in_one_write_move_once_whatever_the_order_and_replays(stack):
    """Versions of two contacts: status only, groups only, both at once. Each moves the counters once, through
    its history entry or on its own, never both; delivered late, out of order and twice."""
    from guestlist.door import checkin_stats
    from guestlist.history import history_of

    event_id = f"evt-{uuid.uuid4().hex[:8]}"
    versions = {  # contact -> its versions (status, groups), from the first
        "x": [("open", {"a"}), ("registered", {"a"}), ("registered", {"b"}), ("attended", {"c"})],
        "y": [("registered", {"b"}), ("registered", {"a", "b"}), ("attended", {"a"})],
    }
    records = []
    for name, steps in versions.items():
        keys = {"pk": {"S": f"C#{event_id}#{name}"}, "sk": {"S": "CONTACT"}}
        old = None
        for version, (status, groups) in enumerate(steps, start=1):
            new = _contact_image(event_id, name, status, version, groups)
            records.append(dynamodb_record("MODIFY" if old else "INSERT", keys, new, old, sequence=f"{len(records) + 1}"))
            old = new
    late = records[::-1]  # each contact's changes after the other's later ones, and after its own
    assert deliver(stack, late + records, batch=2) == []
    counters = checkin_stats(SimpleNamespace(event_id=event_id, confirmed_count=0, capacity=None))["by_group"]
    assert counters == {"a": {"expected": 1, "checked_in": 1}, "b": {"expected": 0, "checked_in": 0},
                        "c": {"expected": 1, "checked_in": 1}}
    assert [h["new_status"] for h in history_of(f"C#{event_id}#x")] == ["open", "registered", "attended"]
    assert [h["new_status"] for h in history_of(f"C#{event_id}#y")] == ["registered", "attended"]


def test_a_contact_in_more_groups_than_one_transaction_holds_moves_every_counter_once(stack):
    """DynamoDB takes 100 items per transaction (moto takes more: the limit is enforced here). A contact registered
    in 150 groups, then moved to 150 others, its first delivery dying between two parts: every counter moves once."""
    from botocore.exceptions import ClientError

    from guestlist.door import checkin_stats
    from support.sdk import intercepted

    event_id = f"evt-{uuid.uuid4().hex[:8]}"
    keys = {"pk": {"S": f"C#{event_id}#many"}, "sk": {"S": "CONTACT"}}
    first = _contact_image(event_id, "many", "registered", 1, {f"g{i:03d}" for i in range(150)})
    moved = _contact_image(event_id, "many", "registered", 2, {f"h{i:03d}" for i in range(150)})
    records = [dynamodb_record("INSERT", keys, first, None, sequence="1"),
               dynamodb_record("MODIFY", keys, moved, first, sequence="2")]
    transactions = []

    def dynamodb_limits(call, client, operation, params):
        if operation == "TransactWriteItems":
            transactions.append(len(params["TransactItems"]))
            if len(params["TransactItems"]) > 100:
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "at most 100 items"}}, operation)
            if len(transactions) == 4 and not crashed:
                crashed.append(True)
                raise RuntimeError("the function dies between two parts of the move")
        return call()

    crashed: list[bool] = []
    with intercepted(dynamodb_limits):
        assert deliver(stack, records) == [{"itemIdentifier": "2"}]
        assert deliver(stack, records) == []  # the batch again, whole
        assert deliver(stack, records[1:]) == []  # and the move once more
    assert crashed and max(transactions) <= 100
    counters = checkin_stats(SimpleNamespace(event_id=event_id, confirmed_count=0, capacity=None))["by_group"]
    assert counters == {**{f"g{i:03d}": {"expected": 0, "checked_in": 0} for i in range(150)},
                        **{f"h{i:03d}": {"expected": 1, "checked_in": 0} for i in range(150)}}



@pytest.mark.usefixtures("empty_queues")
def test_a_reimport_into_another_group_counts_the_registered_guest_there_and_no_other(stack, organiser):
    from support.import_kit import book_by_link, run_import

    event_id = new_event(stack, organiser)
    key = door_key(stack, organiser, event_id)
    rows = [["Identifier", "E-Mail", "Vorname"]] + [[f"R-{i}", f"r{i}@example.com", f"Rea{i}"] for i in range(2)]
    assert run_import(stack, organiser, event_id, rows, {"group": "early"})["counts"]["created"] == 2
    book_by_link(stack, event_id, "R-0")
    assert deliver(stack, stream_records(stack, event_id)) == []
    assert _by_group(stack, key, event_id) == {"early": {"expected": 1, "checked_in": 0}}
    assert run_import(stack, organiser, event_id, rows, {"group": "vip"})["counts"]["updated"] == 2  # adds, keeps early
    assert deliver(stack, stream_records(stack, event_id)) == []
    assert _by_group(stack, key, event_id) == {"early": {"expected": 1, "checked_in": 0},
                                               "vip": {"expected": 1, "checked_in": 0}}


def test_group_move_markers_expire_after_the_stream_could_deliver_them_again(stack, organiser):
    """A marker only guards against replays, which the stream bounds to 24 hours: it carries the table's TTL
    attribute (a week on), so markers do not pile up; history entries carry none."""
    import time

    from guestlist.history import MARKER_DAYS
    from guestlist.models import GroupMoveModel, HistoryModel

    event_id = new_event(stack, organiser)
    identifier, _, _ = booked_guest(stack, organiser, event_id, groups=["a"])
    assert deliver(stack, stream_records(stack, event_id)) == []
    before = time.time()
    _contact_call(stack, organiser, "PATCH", event_id, identifier, body={"groups": ["b"]})
    assert deliver(stack, stream_records(stack, event_id)) == []
    items = list(GroupMoveModel.scan())  # the history table holds both: tell them by key
    markers = [m for m in items if m.event_id == event_id and m.pk.startswith("GROUPMOVE#")]
    assert markers, "the group change wrote no marker"
    week = MARKER_DAYS * 86_400
    assert all(before + week - 5 <= m.expires_at <= time.time() + week + 5 for m in markers)
    assert MARKER_DAYS >= 2  # longer than the stream keeps a record (24 hours)
    entries = [e for e in HistoryModel.scan() if e.event_id == event_id and e.pk.startswith("C#")]  # status history
    assert entries and all("expires_at" not in e.attribute_values for e in entries)
