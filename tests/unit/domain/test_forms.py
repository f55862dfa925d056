"""The registration form (DESIGN.md s10): definitions refused or warned about, answers checked per type."""

from __future__ import annotations

import pytest

from guestlist.errors import InvalidRequest
from guestlist.forms import default_form, localised_form, normalise_form, pick_text, split_answers, validate_answers

FORM, _ = normalise_form([
    {"id": "firstname", "type": "text", "required": True},
    {"id": "email", "type": "email"},
    {"id": "phone_mobile", "type": "phone"},
    {"id": "bio", "type": "textarea", "label": {"de": "Über Sie", "en": "About you"}, "max_length": 20},
    {"id": "diet", "type": "select", "label": "Diet", "options": [{"value": "vegan"}, {"value": "meat", "label": {"de": "Fleisch"}}]},
    {"id": "topics", "type": "multiselect", "label": "Topics", "options": [{"value": "ai"}, {"value": "ops"}]},
    {"id": "consent", "type": "checkbox", "label": "I agree", "required": True},
    {"id": "birthday", "type": "date", "label": "Birthday"},
    {"id": "guests", "type": "number", "label": "Guests"},
])
OK = {"firstname": "Ada", "consent": True}


def code_of(answers, **kw) -> tuple[str, str]:
    with pytest.raises(InvalidRequest) as exc:
        validate_answers(FORM, answers, **kw)
    return exc.value.code, exc.value.detail["field"]


def test_valid_answers_of_every_type_are_cleaned():
    cleaned = validate_answers(FORM, {**OK, "email": " Ada@Example.COM ", "phone_mobile": "079 123 45 67", "bio": " hi ",
                                      "diet": "meat", "topics": ["ops", "ai", "ops"], "birthday": "1990-02-28", "guests": 2.0})
    assert cleaned == {"firstname": "Ada", "consent": True, "email": "Ada@example.com", "phone_mobile": "+41791234567",
                       "bio": "hi", "diet": "meat", "topics": ["ops", "ai"], "birthday": "1990-02-28", "guests": 2}


@pytest.mark.parametrize(("answers", "expected"), [
    ({**OK, "nickname": "x"}, ("unknown_field", "nickname")),
    ({"consent": True}, ("missing_field", "firstname")),
    ({"firstname": "Ada"}, ("missing_field", "consent")),
    ({"firstname": "Ada", "consent": False}, ("missing_field", "consent")),
    ({"firstname": "   ", "consent": True}, ("missing_field", "firstname")),
    ({**OK, "firstname": 12}, ("invalid_field", "firstname")),
    ({**OK, "bio": "x" * 21}, ("too_long", "bio")),
    ({**OK, "firstname": "x" * 201}, ("too_long", "firstname")),
    ({**OK, "email": "not-an-email"}, ("invalid_email", "email")),
    ({**OK, "phone_mobile": "12"}, ("invalid_phone", "phone_mobile")),
    ({**OK, "diet": "fish"}, ("invalid_option", "diet")),
    ({**OK, "topics": ["ai", "cooking"]}, ("invalid_option", "topics")),
    ({**OK, "topics": [1]}, ("invalid_field", "topics")),
    ({**OK, "consent": "yes"}, ("invalid_field", "consent")),
    ({**OK, "birthday": "28.02.1990"}, ("invalid_field", "birthday")),
    ({**OK, "birthday": "1990-02-30"}, ("invalid_field", "birthday")),
    ({**OK, "guests": "two"}, ("invalid_field", "guests")),
    ({**OK, "guests": True}, ("invalid_field", "guests")),
    ({**OK, "guests": float("inf")}, ("invalid_field", "guests")),
])
def test_each_refusal_names_its_code_and_field(answers, expected):
    assert code_of(answers) == expected


def test_a_required_field_the_contact_already_has_needs_no_answer():
    assert validate_answers(FORM, {}, existing={"firstname": "Ada", "consent": True}) == {}
    assert code_of({}, existing={"firstname": "Ada", "consent": False}) == ("missing_field", "consent")


def test_empty_answers_are_no_answers_and_erase_nothing():
    assert validate_answers(FORM, {**OK, "email": "", "diet": None, "topics": []}) == OK


def test_browser_forms_send_text_for_checkboxes_numbers_and_single_choices():
    cleaned = validate_answers(FORM, {"firstname": "Ada", "consent": "on", "guests": "3", "topics": "ai"}, html=True)
    assert cleaned == {"firstname": "Ada", "consent": True, "guests": 3, "topics": ["ai"]}
    assert code_of({"firstname": "Ada", "consent": "on", "guests": "3x"}, html=True) == ("invalid_field", "guests")


def test_split_puts_predefined_ids_on_the_contact_and_the_rest_in_custom():
    assert split_answers({"firstname": "Ada", "diet": "vegan"}) == ({"firstname": "Ada"}, {"diet": "vegan"})


@pytest.mark.parametrize(("form", "field"), [
    ([{"id": "Diet", "type": "text", "label": "x"}], "form[0].id"),
    ([{"id": "language", "type": "text"}], "form[0].id"),
    ([{"id": "identifier", "type": "text"}], "form[0].id"),
    ([{"id": "a", "type": "text", "label": "x"}, {"id": "a", "type": "text", "label": "y"}], "form[1].id"),
    ([{"id": "a", "type": "colour", "label": "x"}], "form[0].type"),
    ([{"id": "email", "type": "text"}], "form[0].type"),
    ([{"id": "phone_mobile", "type": "number"}], "form[0].type"),
    ([{"id": "diet", "type": "text"}], "form[0].label"),
    ([{"id": "diet", "type": "select", "label": "Diet"}], "form[0].options"),
    ([{"id": "diet", "type": "select", "label": "Diet", "options": [{"value": "a"}, {"value": "a"}]}], "form[0].options[1].value"),
    ([{"id": "diet", "type": "text", "label": "Diet", "options": [{"value": "a"}]}], "form[0].options"),
    ([{"id": "n", "type": "number", "label": "N", "max_length": 3}], "form[0].max_length"),
])
def test_unservable_forms_are_refused_naming_the_field(form, field):
    with pytest.raises(InvalidRequest) as exc:
        normalise_form(form)
    assert exc.value.detail["field"] == field


def test_a_custom_field_labelled_like_a_predefined_one_warns():
    _form, warnings = normalise_form([{"id": "mail", "type": "email", "label": "E-Mail"},
                                      {"id": "firma", "type": "text", "label": {"fr": "Entreprise", "de": "Arbeitgeber"}},
                                      {"id": "diet", "type": "text", "label": "Diet"},
                                      {"id": "email", "type": "email", "label": "E-Mail"}])
    assert [(w["field"], w["predefined"]) for w in warnings] == [("form[0].label", "email"), ("form[1].label", "organization")]


def test_default_form_has_the_seed_fields():
    assert [f["id"] for f in default_form()] == ["firstname", "lastname", "email", "organization"]


def test_texts_fall_back_to_the_default_language_then_any():
    assert pick_text({"de": "Hallo", "fr": "Salut"}, "fr", "de") == "Salut"
    assert pick_text({"de": "Hallo", "fr": "Salut"}, "it", "de") == "Hallo"
    assert pick_text({"fr": "Salut"}, "it", "de") == "Salut"
    assert pick_text("Hi", "it", "de") == "Hi"


def test_localised_form_uses_standard_labels_for_predefined_fields():
    shown = localised_form(FORM, "de", "en", label_of=lambda fid: f"<{fid}>")
    assert shown[0]["label"] == "<firstname>" and shown[3]["label"] == "Über Sie"
    assert shown[4]["options"] == [{"value": "vegan", "label": "vegan"}, {"value": "meat", "label": "Fleisch"}]
