"""The status-history rules without storage: which change makes which entry, group counters, mails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guestlist.history import PoisonRecord, entry_for_change
from guestlist.notifications import message_for


def image(status, version, **extra):
    return {"pk": "C#evt#g@example.com", "sk": "CONTACT", "event_id": "evt", "identifier": "g@example.com",
            "status": status, "version": Decimal(version), "updated_at": f"2027-01-01T00:00:0{version}.000Z",
            "last_cause": {"kind": "guest", "ref": "booking"}, **extra}


def test_entry_key_is_fixed_by_the_new_image_so_replays_collide():
    first = entry_for_change(image("accessed", 2), image("registered", 3))
    again = entry_for_change(image("accessed", 2), image("registered", 3))
    assert first == again and first.sk == "2027-01-01T00:00:03.000Z#0000000003"
    assert (first.old_status, first.new_status, first.cause, first.cause_ref) == ("accessed", "registered", "guest", "booking")


def test_same_status_and_bookings_make_no_entry():
    assert entry_for_change(image("open", 1), image("open", 2, city="Bern")) is None
    assert entry_for_change(None, {"pk": "C#evt#g", "sk": "BOOKING#bk-1", "status": "confirmed"}) is None


def test_deleted_contact_is_an_entry_after_its_last_version():
    entry = entry_for_change(image("registered", 4), None)
    assert (entry.new_status, entry.version, entry.cause) == ("deleted", 5, "organiser")


@pytest.mark.parametrize("broken", [{"version": "four"}, {"pk": None}, {"groups": "vip"}, {"last_cause": "guest"}])
def test_malformed_contact_image_is_a_poison_record(broken):
    with pytest.raises(PoisonRecord) as raised:
        entry_for_change(None, {**image("open", 1), **broken})
    assert raised.value.code == "malformed_image"


def test_group_counters_move_with_the_status_and_the_membership():
    vip = {"groups": {"vip"}}
    assert entry_for_change(image("accessed", 1, **vip), image("registered", 2, **vip)).group_deltas() == {"vip": (1, 0)}
    assert entry_for_change(image("registered", 2, **vip), image("attended", 3, **vip)).group_deltas() == {"vip": (0, 1)}
    assert entry_for_change(image("attended", 3, **vip), image("registered", 4, **vip)).group_deltas() == {"vip": (0, -1)}
    moved = entry_for_change(image("open", 1, groups={"a"}), image("registered", 2, groups={"b"}))
    assert moved.group_deltas() == {"b": (1, 0)}
    assert entry_for_change(image("open", 1, **vip), image("accessed", 2, **vip)).group_deltas() == {}


def test_guest_actions_mail_the_account_manager_without_any_link():
    entry = entry_for_change(image("accessed", 2), image("registered", 3, firstname="Greta", lastname="Gast"))
    mail = message_for(entry, image("registered", 3, firstname="Greta", account_manager="am@example.com",
                                    personal_link="https://x/e/SECRET"))
    assert mail.to == "am@example.com" and mail.subject == "Greta booked"
    assert "SECRET" not in mail.body and "/e/" not in mail.body


def test_imports_and_unknown_account_names_send_no_mail():
    imported = entry_for_change(None, {**image("open", 1), "last_cause": {"kind": "import", "ref": "imp-1"}})
    assert message_for(imported, {"account_manager": "am@example.com"}) is None
    by_guest = entry_for_change(image("accessed", 2), image("registered", 3))
    assert message_for(by_guest, {"account_manager": "jdoe"}) is None  # no account lookup given
    assert message_for(by_guest, {"account_manager": "jdoe"}, lambda name: None) is None  # no such account


def test_a_manager_named_by_username_is_mailed_at_the_account_address():
    by_guest = entry_for_change(image("accessed", 2), image("registered", 3))
    mail = message_for(by_guest, {"account_manager": "jdoe"}, {"jdoe": "jdoe@example.com"}.get)
    assert mail.to == "jdoe@example.com"


def test_the_account_manager_mail_is_owed_once_written_or_still_pending_after_a_replay():
    from guestlist.history import mail_owed

    entry = entry_for_change(image("accessed", 2), image("registered", 3))
    reads = []

    def pending(answer):
        return lambda e: reads.append(e) or answer

    assert not mail_owed(entry, None, written=True, still_pending=pending(True))  # nothing to send
    assert mail_owed(entry, object(), written=True, still_pending=pending(False))  # this delivery wrote it
    assert reads == []  # the entry is read only on a replay that has a mail
    assert mail_owed(entry, object(), written=False, still_pending=pending(True))  # the first delivery died before sending
    assert not mail_owed(entry, object(), written=False, still_pending=pending(False))  # sent (or refused) already
    assert reads == [entry, entry]


def test_group_deltas_follow_a_contact_from_one_status_and_set_of_groups_to_another():
    from guestlist.history import group_deltas

    a, b, ab = frozenset({"a"}), frozenset({"b"}), frozenset({"a", "b"})
    assert group_deltas("registered", a, "registered", b) == {"a": (-1, 0), "b": (1, 0)}
    assert group_deltas("attended", a, "attended", b) == {"a": (-1, -1), "b": (1, 1)}
    assert group_deltas("attended", ab, "attended", frozenset({"b", "c"})) == {"a": (-1, -1), "c": (1, 1)}
    assert group_deltas("open", a, "open", b) == {}  # the door expects registered and attended contacts only
    assert group_deltas("registered", a, "attended", b) == {"a": (-1, 0), "b": (1, 1)}
    assert group_deltas(None, frozenset(), "registered", a) == {"a": (1, 0)}
    assert group_deltas("registered", a, "registered", a) == {}


def test_a_group_change_that_keeps_the_status_is_a_counter_move_and_no_entry():
    from guestlist.history import group_move_for_change

    old, new = image("registered", 2, groups={"a", "keep"}), image("registered", 3, groups={"keep", "b"})
    assert entry_for_change(old, new) is None
    move = group_move_for_change(old, new)
    assert move.deltas == {"a": (-1, 0), "b": (1, 0)}
    assert move.sk == "2027-01-01T00:00:03.000Z#0000000003" and move.pk == "C#evt#g@example.com"
    assert group_move_for_change(old, new) == move  # a replay keys the same marker
    assert group_move_for_change(image("open", 1, groups={"a"}), image("open", 2, groups={"b"})) is None  # no counter moves
    assert group_move_for_change(image("registered", 2), image("registered", 3, city="Bern")) is None
    assert group_move_for_change(None, new) is None and group_move_for_change(old, None) is None
    with pytest.raises(PoisonRecord):
        group_move_for_change(old, {**new, "groups": "b"})


STATES = [(status, frozenset(groups)) for status in ("open", "registered", "attended") for groups in ((), ("a",), ("b",), ("a", "b"))]


@pytest.mark.parametrize("before", STATES)
@pytest.mark.parametrize("after", STATES)
def test_every_contact_change_moves_the_counters_by_one_path_only(before, after):
    """A status change moves them with its history entry, any other change on its own: never both, never neither."""
    from guestlist.history import group_deltas, group_move_for_change

    old = image(before[0], 1, groups=set(before[1]))
    new = image(after[0], 2, groups=set(after[1]))
    entry, move = entry_for_change(old, new), group_move_for_change(old, new)
    assert entry is None or move is None
    moved = entry.group_deltas() if entry else move.deltas if move else {}
    assert moved == group_deltas(before[0], before[1], after[0], after[1])


def test_counter_updates_beyond_one_transaction_are_cut_into_parts_in_a_fixed_order():
    from guestlist.history import _parts

    deltas = {f"g{i:03d}": (1, 0) for i in range(250)}
    parts = _parts(deltas)
    assert [len(p) for p in parts] == [99, 99, 52]
    assert [g for p in parts for g, _ in p] == sorted(deltas)
    assert _parts({}) == [[]]
