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
