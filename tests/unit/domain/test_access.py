"""Who may do what, without storage: access.decide and the authorizer's gate (access.may_call)."""

from __future__ import annotations

import pytest

from guestlist.access import Action, Decision, Scope, decide, may_call
from guestlist.errors import Forbidden, NotFound

ORGANISER = Scope(kind="organiser", workspace_id="ws-a", key_id="org-1")
DOOR = Scope(kind="checkin", workspace_id="ws-a", key_id="ck-1", event_id="evt-1")
NOBODY = Scope(kind="", workspace_id="", key_id="")


@pytest.mark.parametrize("action", list(Action))
def test_an_organiser_key_may_do_anything_once_the_event_is_read_in_its_workspace(action):
    decision = decide(ORGANISER, action, "evt-9")
    assert decision.refusal is None and decision.read_event


def test_an_organiser_key_without_an_event_reads_nothing():
    assert decide(ORGANISER, Action.ORGANISE) == decide(ORGANISER, Action.ORGANISE, None)
    assert not decide(ORGANISER, Action.ORGANISE).read_event


@pytest.mark.parametrize("scope", [DOOR, NOBODY], ids=["door key", "no scope"])
def test_only_organiser_keys_use_the_organiser_api(scope):
    refusal = decide(scope, Action.ORGANISE, "evt-1").refusal
    assert isinstance(refusal, Forbidden) and (refusal.code, refusal.status) == ("forbidden", 403)
    assert refusal.message == "this key cannot use the organiser API"


def test_a_door_key_scans_its_own_event_without_reading_it():
    assert decide(DOOR, Action.SCAN, "evt-1") == Decision(refusal=None, read_event=False)
    assert decide(DOOR, Action.DOOR_STATS, "evt-1").read_event


@pytest.mark.parametrize("action", [Action.SCAN, Action.DOOR_STATS, Action.LIST_SCANS])
@pytest.mark.parametrize("scope", [DOOR, NOBODY], ids=["door key", "no scope"])
def test_another_event_is_not_found_for_a_door_key(scope, action):
    refusal = decide(scope, action, "evt-2").refusal
    assert isinstance(refusal, NotFound) and (refusal.code, refusal.status) == ("event_not_found", 404)


def test_the_scan_list_is_for_organisers():
    refusal = decide(DOOR, Action.LIST_SCANS, "evt-1").refusal
    assert isinstance(refusal, Forbidden) and refusal.message == "this list is for organisers"


@pytest.mark.parametrize(("scope", "route", "event_id", "allowed"), [
    (ORGANISER, "GET /events", None, True),
    (ORGANISER, "POST /events/{event_id}/checkins", "evt-9", True),
    (DOOR, "POST /events/{event_id}/checkins", "evt-1", True),
    (DOOR, "GET /events/{event_id}/checkins/stats", "evt-1", True),
    (DOOR, "POST /events/{event_id}/checkins", "evt-2", False),
    (DOOR, "GET /events/{event_id}", "evt-1", False),
    (DOOR, "GET /events", None, False),
    (NOBODY, "POST /events/{event_id}/checkins", "evt-1", False),
])
def test_the_authorizer_lets_a_door_key_reach_only_its_own_event_s_door_routes(scope, route, event_id, allowed):
    assert may_call(scope, route, {"event_id": event_id} if event_id else {}) is allowed
