"""Account changes and account groups (DESIGN.md s4), and the account-group import working with them."""

from __future__ import annotations

import uuid

from guestlist.codes import Code
from support.guests import new_event, organiser_call
from support.import_kit import contacts_of, deliver_all, report


def _account(stack, organiser, **fields):
    status, body, _ = organiser_call(stack, organiser, "POST", "/accounts", "/accounts", body=fields)
    assert status == 201, body


def _acct(stack, organiser, method, username, body=None):
    return organiser_call(stack, organiser, method, f"/accounts/{username}", "/accounts/{username}",
                          path_parameters={"username": username}, body=body)


def _group(stack, organiser, method, name, tail="", body=None, **params):
    route = "/account-groups/{name}" + tail.replace(params.get("username", "\0"), "{username}")
    return organiser_call(stack, organiser, method, f"/account-groups/{name}{tail}", route,
                          path_parameters={"name": name, **params}, body=body)


def test_patch_sets_clears_and_validates_language_and_gender(stack, organiser):
    _account(stack, organiser, username="pat", email="pat@example.com", firstname="Pat", language="de")
    status, body, _ = _acct(stack, organiser, "PATCH", "pat", {"language": "fr", "gender": "diverse", "firstname": None})
    assert status == 200 and body["language"] == "fr" and body["gender"] == "diverse" and body["firstname"] is None
    status, body, _ = _acct(stack, organiser, "PATCH", "pat", {"language": "es"})
    assert status == 422 and body["error"]["field"] == "language"
    status, body, _ = _acct(stack, organiser, "PATCH", "pat", {"gender": "robot"})
    assert status == 422 and body["error"]["field"] == "gender"
    status, body, _ = _acct(stack, organiser, "PATCH", "pat", {"username": "other"})
    assert status == 422 and body["error"]["code"] == Code.UNKNOWN_FIELD
    status, body, _ = _acct(stack, organiser, "PATCH", "pat", {"email": "nope"})
    assert status == 422 and body["error"]["code"] == Code.INVALID_EMAIL
    assert _acct(stack, organiser, "GET", "pat")[1]["language"] == "fr"
    assert _acct(stack, organiser, "PATCH", "ghost", {"language": "fr"})[0] == 404


def test_delete_account(stack, organiser):
    _account(stack, organiser, username="gone")
    status, _body, _ = _acct(stack, organiser, "DELETE", "gone")
    assert status == 204
    assert _acct(stack, organiser, "GET", "gone")[0] == 404
    status, body, _ = _acct(stack, organiser, "DELETE", "gone")
    assert status == 404 and body["error"]["code"] == Code.ACCOUNT_NOT_FOUND


def test_account_groups_create_members_list_and_remove(stack, organiser):
    for name in ("ann", "ben", "cid"):
        _account(stack, organiser, username=name, email=f"{name}@example.com")
    status, body, _ = organiser_call(stack, organiser, "POST", "/account-groups", "/account-groups", body={"name": "staff"})
    assert status == 201 and body == {"name": "staff", "members": 0}
    status, body, _ = organiser_call(stack, organiser, "POST", "/account-groups", "/account-groups", body={"name": "staff"})
    assert status == 409 and body["error"]["code"] == Code.ACCOUNT_GROUP_EXISTS
    status, body, _ = _group(stack, organiser, "POST", "staff", "/members", {"usernames": ["ann", "BEN", "zed"]})
    assert status == 200 and body == {"added": 2, "already": 0, "not_found": ["zed"]}
    status, body, _ = _group(stack, organiser, "POST", "staff", "/members", {"usernames": ["ann"]})
    assert body == {"added": 0, "already": 1, "not_found": []}
    status, body, _ = _group(stack, organiser, "POST", "board", "/members", {"usernames": ["cid"]})  # created if missing
    assert body["added"] == 1
    status, body, _ = organiser_call(stack, organiser, "GET", "/account-groups", "/account-groups")
    assert body == {"account_groups": [{"name": "board", "members": 1}, {"name": "staff", "members": 2}]}
    status, body, _ = _group(stack, organiser, "GET", "staff")
    assert status == 200 and sorted(a["username"] for a in body["members"]) == ["ann", "ben"]
    status, _b, _ = _group(stack, organiser, "DELETE", "staff", "/members/ben", username="ben")
    assert status == 204
    assert [a["username"] for a in _group(stack, organiser, "GET", "staff")[1]["members"]] == ["ann"]
    assert _group(stack, organiser, "DELETE", "staff", "/members/zed", username="zed")[0] == 404
    status, body, _ = _group(stack, organiser, "GET", "nobody")
    assert status == 404 and body["error"]["code"] == Code.ACCOUNT_GROUP_NOT_FOUND


def test_an_account_group_built_through_the_api_imports_as_contacts(stack, organiser, empty_queues):
    for name in ("ida", "jan"):
        _account(stack, organiser, username=name, email=f"{name}@example.com", language="fr", gender="female")
    _group(stack, organiser, "POST", "guests", "/members", {"usernames": ["ida", "jan"]})
    event_id = new_event(stack, organiser)
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                                     path_parameters={"event_id": event_id}, body={"source": "accounts", "account_group": "guests"})
    assert status == 201, body
    deliver_all(stack)
    assert report(stack, organiser, event_id, body["import_id"])["counts"]["created"] == 2
    assert sorted(contacts_of(event_id)) == ["ida@example.com", "jan@example.com"]
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                                     path_parameters={"event_id": event_id},
                                     body={"source": "accounts", "account_group": "guests", "group": "staff"})
    deliver_all(stack)  # the import's `group` option puts the contacts in a contact group, which counts them
    groups = organiser_call(stack, organiser, "GET", f"/events/{event_id}/groups", "/events/{event_id}/groups",
                            path_parameters={"event_id": event_id})[1]["groups"]
    assert groups == [{"name": "staff", "members": 2}]


def test_another_workspace_sees_no_account_group(stack, organiser):
    from guestlist.keys import ensure_organiser_key, resolve_key

    _account(stack, organiser, username="mine")
    _group(stack, organiser, "POST", "secret", "/members", {"usernames": ["mine"]})
    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", key)
    other = {"key": key, "scope": resolve_key(key).as_context()}
    assert _group(stack, other, "GET", "secret")[0] == 404
    assert organiser_call(stack, other, "GET", "/account-groups", "/account-groups")[1] == {"account_groups": []}
    _status, body, _ = _group(stack, other, "POST", "secret", "/members", {"usernames": ["mine"]})
    assert body["not_found"] == ["mine"]
    assert _acct(stack, other, "PATCH", "mine", {"language": "fr"})[0] == 404
    assert _acct(stack, other, "DELETE", "mine")[0] == 404
