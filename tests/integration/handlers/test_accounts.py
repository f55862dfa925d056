"""Accounts of a workspace and the account-manager rule (DESIGN.md s2, s3 `unknown_account_manager`)."""

from __future__ import annotations

import uuid

from guestlist.codes import Code
from support.guests import new_event, organiser_call
from support.import_kit import contacts_of, counts_add_up, deliver_all, report, run_import


def _account(stack, organiser, **fields):
    return organiser_call(stack, organiser, "POST", "/accounts", "/accounts", body=fields)


def test_accounts_are_created_listed_by_group_and_unique_per_workspace(stack, organiser):
    assert _account(stack, organiser, username="jdoe", email="J.Doe@Example.com", groups=["staff"], language="fr")[0] == 201
    assert _account(stack, organiser, username="amuster", groups=["board"])[0] == 201
    status, body, _ = _account(stack, organiser, username="JDoe")
    assert status == 409 and body["error"]["code"] == Code.ALREADY_EXISTS
    status, body, _ = _account(stack, organiser, username="x", email="not-an-email")
    assert status == 422 and body["error"]["code"] == Code.INVALID_EMAIL
    status, body, _ = organiser_call(stack, organiser, "GET", "/accounts", "/accounts", query={"group": "staff"})
    assert [a["username"] for a in body["accounts"]] == ["jdoe"] and body["accounts"][0]["email"] == "J.Doe@example.com"
    status, body, _ = organiser_call(stack, organiser, "GET", "/accounts/jdoe", "/accounts/{username}", path_parameters={"username": "jdoe"})
    assert status == 200 and body["language"] == "fr"


def test_another_workspace_sees_none_of_the_accounts(stack, organiser):
    from guestlist.keys import ensure_organiser_key, resolve_key

    _account(stack, organiser, username="private")
    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(f"ws-{uuid.uuid4().hex[:8]}", key)
    other = {"key": key, "scope": resolve_key(key).as_context()}
    assert organiser_call(stack, other, "GET", "/accounts", "/accounts")[1]["accounts"] == []
    status, body, _ = organiser_call(stack, other, "GET", "/accounts/private", "/accounts/{username}", path_parameters={"username": "private"})
    assert status == 404 and body["error"]["code"] == Code.ACCOUNT_NOT_FOUND


def test_unknown_account_manager_is_left_empty_with_a_warning_and_the_row_imported(stack, organiser, empty_queues):
    _account(stack, organiser, username="kb", email="kb@example.com")
    event_id = new_event(stack, organiser)
    rep = run_import(stack, organiser, event_id, [
        ["Identifier", "Vorname", "Account manager"],
        ["g1@example.com", "Eins", "kb"],
        ["g2@example.com", "Zwei", "KB@example.com"],
        ["g3@example.com", "Drei", "nobody"],
    ])
    assert rep["status"] == "completed" and rep["counts"]["created"] == 3 and counts_add_up(rep)
    assert rep["warnings"] == 1
    assert [(i["row"], i["code"], i["column"]) for i in rep["issues"]] == [(4, "unknown_account_manager", "Account manager")]
    stored = contacts_of(event_id)
    assert stored["g1@example.com"].account_manager == "kb"
    assert stored["g2@example.com"].account_manager == "kb"  # named by email, stored by username
    assert stored["g3@example.com"].account_manager is None and stored["g3@example.com"].firstname == "Drei"


def test_the_api_refuses_an_unknown_account_manager_and_stores_a_known_one_by_username(stack, organiser):
    _account(stack, organiser, username="mgr", email="mgr@example.com")
    event_id = new_event(stack, organiser)
    route, params = "/events/{event_id}/contacts", {"event_id": event_id}
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", route, path_parameters=params,
                                     body={"identifier": "a@example.com", "account_manager": "ghost"})
    assert status == 422 and body["error"]["code"] == Code.UNKNOWN_ACCOUNT_MANAGER
    status, body, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", route, path_parameters=params,
                                     body={"identifier": "a@example.com", "account_manager": "MGR@example.com"})
    assert status == 201 and body["account_manager"] == "mgr"


def test_a_manager_named_by_username_gets_the_mail_at_the_account_email(stack, organiser):
    from guestlist.accounts import email_of_account_in

    _account(stack, organiser, username="boss", email="boss@example.com")
    event_id = new_event(stack, organiser)
    lookup = email_of_account_in(event_id)
    assert lookup("boss") == "boss@example.com"
    assert lookup("nobody") is None


def _import_accounts(stack, organiser, event_id, **body):
    return organiser_call(stack, organiser, "POST", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                          path_parameters={"event_id": event_id}, body={"source": "accounts", **body})


def test_an_account_group_is_imported_as_contacts_with_their_language_and_account_data(stack, organiser, empty_queues):
    _account(stack, organiser, username="anna", email="Anna@Example.com", firstname="Anna", lastname="Muster",
             language="fr", gender="female", groups=["staff"])
    _account(stack, organiser, username="bruno", firstname="Bruno", language="it", groups=["staff", "board"])
    _account(stack, organiser, username="carla", email="carla@example.com", groups=["staff"])
    _account(stack, organiser, username="dora", email="dora@example.com", groups=["board"])
    event_id = new_event(stack, organiser)  # languages de, fr, en; default de
    status, body, _ = _import_accounts(stack, organiser, event_id, account_group="staff", group="Team")
    assert status == 201 and body["source"] == "accounts" and body["account_group"] == "staff"
    deliver_all(stack, twice=True)  # every chunk delivered twice: counted once
    rep = report(stack, organiser, event_id, body["import_id"])
    assert rep["status"] == "completed" and rep["rows_total"] == 3 and rep["counts"]["created"] == 3 and counts_add_up(rep)
    assert [(i["row"], i["code"]) for i in rep["issues"]] == [(2, "unknown_language")] and rep["warnings"] == 1
    stored = contacts_of(event_id)
    assert sorted(stored) == ["anna@example.com", "bruno", "carla@example.com"]
    anna = stored["anna@example.com"]
    assert (anna.firstname, anna.lastname, anna.email, anna.language) == ("Anna", "Muster", "Anna@example.com", "fr")
    assert anna.custom.as_dict() == {"gender": "female", "username": "anna"} and set(anna.groups) == {"Team"}
    assert stored["bruno"].language == "de"  # Italian is not offered: the event's default
    assert stored["carla@example.com"].language == "de"
    listed = organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                            path_parameters={"event_id": event_id})[1]["imports"]
    assert [(i["import_id"], i["source"]) for i in listed] == [(body["import_id"], "accounts")]


def test_importing_an_unknown_or_empty_account_group_is_refused_and_starts_no_job(stack, organiser, empty_queues):
    _account(stack, organiser, username="solo", groups=["staff"])
    event_id = new_event(stack, organiser)
    for group in ("nobody-here", "Staff"):  # group names are exact
        status, body, _ = _import_accounts(stack, organiser, event_id, account_group=group)
        assert status == 422 and body["error"]["code"] == Code.UNKNOWN_ACCOUNT_GROUP
    status, body, _ = _import_accounts(stack, organiser, event_id)
    assert status == 422 and body["error"]["code"] == Code.INVALID_FIELD
    listed = organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports", "/events/{event_id}/imports",
                            path_parameters={"event_id": event_id})[1]["imports"]
    assert listed == []


def test_an_account_group_import_in_create_mode_skips_existing_contacts(stack, organiser, empty_queues):
    _account(stack, organiser, username="eva", email="eva@example.com", groups=["staff"])
    _account(stack, organiser, username="fritz", email="fritz@example.com", groups=["staff"])
    event_id = new_event(stack, organiser)
    organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                   path_parameters={"event_id": event_id}, body={"identifier": "eva@example.com", "firstname": "Evi"})
    status, body, _ = _import_accounts(stack, organiser, event_id, account_group="staff", mode="create")
    assert status == 201
    deliver_all(stack)
    rep = report(stack, organiser, event_id, body["import_id"])
    assert rep["status"] == "completed_with_errors" and (rep["counts"]["created"], rep["counts"]["skipped"]) == (1, 1)
    assert [i["code"] for i in rep["issues"]] == ["already_exists"] and contacts_of(event_id)["eva@example.com"].firstname == "Evi"
