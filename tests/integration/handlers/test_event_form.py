"""The event's form, localised texts and permission groups through the organiser API (DESIGN.md s10)."""

from __future__ import annotations

import boto3

from support.guests import new_event, organiser_call


def _patch(stack, organiser, event_id, body):
    return organiser_call(stack, organiser, "PATCH", f"/events/{event_id}", "/events/{event_id}",
                          path_parameters={"event_id": event_id}, body=body)


def _get(stack, organiser, event_id):
    return organiser_call(stack, organiser, "GET", f"/events/{event_id}", "/events/{event_id}",
                          path_parameters={"event_id": event_id})[1]


def test_a_new_event_gets_the_default_form(stack, organiser):
    event_id = new_event(stack, organiser)
    assert [f["id"] for f in _get(stack, organiser, event_id)["form"]] == ["firstname", "lastname", "email", "organization"]


def test_patch_replaces_the_form_and_warns_about_a_custom_field_labelled_like_a_predefined_one(stack, organiser):
    event_id = new_event(stack, organiser)
    form = [{"id": "lastname", "required": True},
            {"id": "mail", "type": "email", "label": {"de": "E-Mail", "en": "Email"}},
            {"id": "diet", "type": "select", "label": "Diet", "options": [{"value": "vegan"}, {"value": "meat"}]}]
    status, body, _ = _patch(stack, organiser, event_id, {"form": form})
    assert status == 200, body
    assert [f["id"] for f in body["form"]] == ["lastname", "mail", "diet"]
    assert body["warnings"] == [{"code": "duplicates_predefined_field", "field": "form[1].label", "predefined": "email",
                                 "message": body["warnings"][0]["message"]}]
    assert [f["id"] for f in _get(stack, organiser, event_id)["form"]] == ["lastname", "mail", "diet"]


def test_an_unservable_form_is_refused_and_the_stored_one_stays(stack, organiser):
    event_id = new_event(stack, organiser)
    status, body, _ = _patch(stack, organiser, event_id, {"form": [{"id": "diet", "type": "select", "label": "Diet"}]})
    assert status == 422 and body["error"]["field"] == "form[0].options"
    status, body, _ = _patch(stack, organiser, event_id, {"form": [{"id": "x", "type": "colour", "label": "X"}]})
    assert status == 422 and body["error"]["code"] == "invalid_field"
    assert len(_get(stack, organiser, event_id)["form"]) == 4


def test_texts_are_a_string_or_one_per_language(stack, organiser):
    event_id = new_event(stack, organiser, name={"de": "Sommerfest", "fr": "Fête d'été"}, venue="Zürich",
                         description={"en": "Drinks", "de": "Apéro"})
    event = _get(stack, organiser, event_id)
    assert event["name"] == {"de": "Sommerfest", "fr": "Fête d'été"} and event["venue"] == "Zürich"
    listed = organiser_call(stack, organiser, "GET", "/events", "/events")[1]["events"]
    assert {"event_id": event_id, "name": "Sommerfest"} in listed
    _patch(stack, organiser, event_id, {"name": "Gala", "description": None})
    event = _get(stack, organiser, event_id)
    assert event["name"] == "Gala" and event["description"] is None


def test_permission_groups_are_objects_and_bare_names_stay_closed_groups(stack, organiser):
    event_id = new_event(stack, organiser, permission_groups=["Staff"])
    assert _get(stack, organiser, event_id)["permission_groups"] == [{"name": "Staff", "public_registration": False, "capacity": None}]
    status, body, _ = _patch(stack, organiser, event_id, {"permission_groups": [
        "Staff", {"name": "Public", "public_registration": True, "capacity": 5}], "privacy_url": "https://example.com/privacy"})
    assert status == 200, body
    assert body["permission_groups"][1] == {"name": "Public", "public_registration": True, "capacity": 5}
    assert body["public_registration"] is True and body["personal_link_only"] is False
    status, body, _ = _patch(stack, organiser, event_id, {"personal_link_only": True})
    assert body["public_registration"] is False and body["personal_link_only"] is True
    assert body["permission_groups"][1]["capacity"] == 5


def test_an_event_stored_before_groups_had_settings_keeps_its_meaning(stack, organiser):
    event_id = new_event(stack, organiser)
    boto3.client("dynamodb").update_item(
        TableName=stack.physical("EventsTable"), Key={"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}},
        UpdateExpression="SET permission_groups = :g, personal_link_only = :t REMOVE form_json, access_json",
        ExpressionAttributeValues={":g": {"SS": ["VIP", "Press"]}, ":t": {"BOOL": True}})
    event = _get(stack, organiser, event_id)
    assert event["permission_groups"] == [{"name": "Press", "public_registration": False, "capacity": None},
                                          {"name": "VIP", "public_registration": False, "capacity": None}]
    assert event["personal_link_only"] is True and event["public_registration"] is False
    assert [f["id"] for f in event["form"]] == ["firstname", "lastname", "email", "organization"]


def test_organiser_block_privacy_link_and_online_settings_round_trip(stack, organiser):
    event_id = new_event(stack, organiser, privacy_url="https://acme.example/privacy", online={"join_url": "https://meet.example/abc"})
    _patch(stack, organiser, event_id, {"organiser": {"name": "ACME AG", "email": "events@acme.example", "url": "https://acme.example"}})
    event = _get(stack, organiser, event_id)
    assert event["organiser"]["name"] == "ACME AG" and event["privacy_url"] == "https://acme.example/privacy"
    assert event["online"] == {"join_url": "https://meet.example/abc", "opens_minutes_before": 30}
    status, body, _ = _patch(stack, organiser, event_id, {"online": {"join_url": "http://insecure.example"}})
    assert status == 422 and body["error"]["field"] == "online.join_url"
