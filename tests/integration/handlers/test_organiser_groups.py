"""Contact groups (DESIGN.md s4): create, members by identifiers and by the listing's filters, counts, delete."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from guestlist.codes import Code
from support.guests import guest_call, new_contact, new_event, organiser_call


def _groups(stack, organiser, event_id):
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/groups", "/events/{event_id}/groups",
                                     path_parameters={"event_id": event_id})
    assert status == 200, body
    return {g["name"]: g["members"] for g in body["groups"]}


def _members(stack, organiser, event_id, name, body):
    return organiser_call(stack, organiser, "POST", f"/events/{event_id}/groups/{name}/members",
                          "/events/{event_id}/groups/{name}/members", path_parameters={"event_id": event_id, "name": name},
                          body=body)


def _listing(stack, organiser, event_id, **query):
    found, cursor = [], None
    while True:
        status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                         path_parameters={"event_id": event_id},
                                         query={**query, "limit": "2", **({"cursor": cursor} if cursor else {})})
        assert status == 200, body
        found += [c["identifier"] for c in body["contacts"]]
        cursor = body.get("cursor")
        if not cursor:
            return sorted(found)


def test_create_list_and_refuse_a_second_group_of_the_same_name(stack, organiser):
    event_id = new_event(stack, organiser)
    route = "/events/{event_id}/groups"
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/groups", route,
                                     path_parameters={"event_id": event_id}, body={"name": "VIP"})
    assert status == 201 and body == {"name": "VIP", "members": 0}
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/groups", route,
                                     path_parameters={"event_id": event_id}, body={"name": "VIP"})
    assert status == 409 and body["error"]["code"] == Code.GROUP_EXISTS
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/groups", route,
                                     path_parameters={"event_id": event_id}, body={"name": "x" * 201})
    assert status == 422 and body["error"]["code"] == Code.TOO_LONG and body["error"]["field"] == "name"
    # a group that contacts already carry (an import's `group`, a PATCH) exists too
    new_contact(stack, organiser, event_id, "a@example.com", groups=["press"])
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/groups", route,
                                     path_parameters={"event_id": event_id}, body={"name": "press"})
    assert status == 409, body
    assert _groups(stack, organiser, event_id) == {"VIP": 0, "press": 1}


def test_members_by_identifiers_report_added_already_and_not_found(stack, organiser):
    event_id = new_event(stack, organiser)
    for i in range(3):
        new_contact(stack, organiser, event_id, f"m{i}@example.com")
    status, body, _ = _members(stack, organiser, event_id, "staff", {"identifiers": ["M0@example.com", "m1@example.com", "nobody"]})
    assert status == 200, body
    assert body == {"added": 2, "already": 0, "not_found": ["nobody"]}
    status, body, _ = _members(stack, organiser, event_id, "staff", {"identifiers": ["m1@example.com", "m2@example.com"]})
    assert body == {"added": 1, "already": 1, "not_found": []}
    assert _groups(stack, organiser, event_id) == {"staff": 3}
    status, body, _ = _members(stack, organiser, event_id, "staff", {"identifiers": ["m1@example.com"], "filter": {}})
    assert status == 422
    status, body, _ = _members(stack, organiser, event_id, "staff", {"filter": {"status": "bogus"}})
    assert status == 422 and body["error"]["field"] == "filter.status"


def test_groups_by_filter_equal_the_filtered_list(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=["guests", "press"])
    for i in range(7):
        new_contact(stack, organiser, event_id, f"f{i}@example.com", firstname=f"Fil{i % 3}",
                    groups=["old"] if i % 2 else [], permission_group="press" if i % 3 == 0 else "guests")
    for i in (1, 4):
        _c, token = new_contact(stack, organiser, event_id, f"booker{i}@example.com", firstname="Fil1", groups=["old"])
        guest_call(stack, "book", token)
    filters = [{"status": "registered"}, {"group": "old"}, {"q": "fil1"}, {"permission_group": "press"},
               {"group": "old", "q": "fil1"}, {"status": "open", "permission_group": "guests"}]
    for n, flt in enumerate(filters):
        name = f"by-filter-{n}"
        expected = _listing(stack, organiser, event_id, **flt)
        assert expected, flt
        status, body, _ = _members(stack, organiser, event_id, name, {"filter": flt})
        assert status == 200, body
        assert body["added"] == len(expected) and body["already"] == 0 and body["not_found"] == []
        assert _listing(stack, organiser, event_id, group=name) == expected, flt
        assert _groups(stack, organiser, event_id)[name] == len(expected)


def test_delete_group_keeps_contacts_and_remove_member(stack, organiser):
    event_id = new_event(stack, organiser)
    for i in range(3):
        new_contact(stack, organiser, event_id, f"d{i}@example.com", groups=["team", "other"])
    route = "/events/{event_id}/groups/{name}/members/{identifier}"
    status, body, _ = organiser_call(stack, organiser, "DELETE", f"/events/{event_id}/groups/team/members/d0%40example.com", route,
                                     path_parameters={"event_id": event_id, "name": "team", "identifier": "d0%40example.com"})
    assert status == 204, body
    status, body, _ = organiser_call(stack, organiser, "DELETE", f"/events/{event_id}/groups/team/members/nobody", route,
                                     path_parameters={"event_id": event_id, "name": "team", "identifier": "nobody"})
    assert status == 404 and body["error"]["code"] == Code.CONTACT_NOT_FOUND
    assert _groups(stack, organiser, event_id) == {"team": 2, "other": 3}
    path = f"/events/{event_id}/groups/team"
    params = {"event_id": event_id, "name": "team"}
    status, body, _ = organiser_call(stack, organiser, "DELETE", path, "/events/{event_id}/groups/{name}", path_parameters=params)
    assert status == 204, body
    assert _groups(stack, organiser, event_id) == {"other": 3}
    assert len(_listing(stack, organiser, event_id)) == 3
    status, body, _ = organiser_call(stack, organiser, "DELETE", path, "/events/{event_id}/groups/{name}", path_parameters=params)
    assert status == 404 and body["error"]["code"] == Code.GROUP_NOT_FOUND


def test_member_counts_stay_exact_under_concurrent_adds_and_removes(stack, organiser):
    event_id = new_event(stack, organiser)
    ids = [f"c{i}-{uuid.uuid4().hex[:4]}" for i in range(12)]
    for identifier in ids:
        new_contact(stack, organiser, event_id, identifier)

    def add(identifier):
        return _members(stack, organiser, event_id, "rush", {"identifiers": [identifier]})[1]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(add, ids + ids))  # every contact added twice, concurrently
    assert sum(r["added"] for r in results) == 12 and sum(r["already"] for r in results) == 12
    assert _groups(stack, organiser, event_id) == {"rush": 12}


def test_another_workspaces_event_groups_are_not_found(stack, organiser):
    from guestlist.keys import ensure_organiser_key, resolve_key

    event_id = new_event(stack, organiser)
    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", key)
    other = {"key": key, "scope": resolve_key(key).as_context()}
    status, body, _ = organiser_call(stack, other, "GET", f"/events/{event_id}/groups", "/events/{event_id}/groups",
                                     path_parameters={"event_id": event_id})
    assert status == 404 and body["error"]["code"] == Code.EVENT_NOT_FOUND
    status, body, _ = _members(stack, other, event_id, "x", {"identifiers": ["a"]})
    assert status == 404
