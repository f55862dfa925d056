import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_html import Page, csp_directives, csp_source

from guestlist.web import render_guest_page, translate


def _render(view, token, lang="en", notice=None) -> tuple[Page, str, str]:
    html, csp = render_guest_page(view, token, lang, notice)
    return Page(html), html, csp


def _all_actions(view):
    view["actions"] = {"can_book": True, "can_cancel": True, "can_decline": True}
    return view


def test_html_lang_is_the_chosen_language(view, token):
    page, _, _ = _render(view, token, "fr")
    assert page.find("html")[0].attrs["lang"] == "fr"


def test_page_has_viewport_and_one_h1_with_the_event_name(view, token):
    page, _, _ = _render(view, token)
    assert page.find("meta", name="viewport")
    assert len(page.find("h1")) == 1
    assert "Sommerfest 2025" in page.all_text()


def test_form_is_prefilled_from_the_contact(view, token):
    page, _, _ = _render(_all_actions(view), token)
    inputs = page.inputs()
    contact = view["contact"]
    for name in ("firstname", "lastname", "email", "phone_mobile", "organization", "job_title"):
        assert inputs[name].attrs["value"] == contact[name]
    assert inputs["diet"].attrs["value"] == "vegan"


def test_custom_fields_cannot_shadow_predefined_or_reserved_names(view, token):
    view["contact"]["custom"] = {"email": "evil@example.org", "lang": "xx", "diet": "vegan"}
    page, _, _ = _render(_all_actions(view), token)
    names = [e.attrs["name"] for e in page.find("input")]
    assert names.count("email") == 1
    assert "lang" not in page.inputs()
    assert page.inputs()["email"].attrs["value"] == view["contact"]["email"]


def test_every_visible_input_has_a_label_and_autocomplete(view, token):
    page, _, _ = _render(_all_actions(view), token)
    label_targets = {label.attrs.get("for") for label in page.find("label")}
    for name, element in page.inputs().items():
        assert element.attrs["id"] in label_targets, name
        assert element.attrs.get("autocomplete"), name
    assert page.inputs()["email"].attrs["type"] == "email"
    assert page.inputs()["email"].attrs["autocomplete"] == "email"
    assert page.inputs()["phone_mobile"].attrs["type"] == "tel"
    assert page.inputs()["firstname"].attrs["autocomplete"] == "given-name"


def test_missing_contact_fields_render_empty_and_a_plain_greeting(view, token):
    view["contact"] = {"identifier": "E-1234"}
    page, _, _ = _render(_all_actions(view), token, "de")
    assert all(e.attrs["value"] == "" for e in page.inputs().values())
    assert translate("greeting.anonymous", "de") in page.all_text()


def test_greeting_names_the_guest(view, token):
    page, _, _ = _render(view, token, "it")
    assert "Buongiorno Dr. Anna Muster" in page.all_text()


HOSTILE = '<script>alert("x")</script>"\'><img src=x onerror=alert(1)>'


def test_hostile_values_are_escaped(view, token):
    view["contact"]["firstname"] = HOSTILE
    view["contact"]["custom"] = {HOSTILE: HOSTILE}
    view["event"]["name"] = HOSTILE
    view["event"]["description"] = HOSTILE
    view["event"]["venue"] = HOSTILE
    view["bookings"][0]["ticket_code"] = HOSTILE
    page, html, _ = _render(_all_actions(view), token)
    assert len(page.find("script")) == 1  # ours only
    assert not page.find("img")
    assert not any(k.startswith("on") for e in page.elements for k in e.attrs)
    assert page.inputs()["firstname"].attrs["value"] == HOSTILE  # round-trips as data
    assert HOSTILE in page.all_text()
    assert "<script>alert" not in html


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and "\x00" not in s and "\r" not in s))
def test_any_name_round_trips_as_form_value(view, token, name):
    view["contact"]["lastname"] = name
    page, _, _ = _render(_all_actions(view), token)
    assert page.inputs()["lastname"].attrs["value"] == name
    assert len(page.find("script")) == 1


def test_every_inline_script_and_style_is_allowed_by_its_csp_hash(view, token):
    page, _, csp = _render(_all_actions(view), token)
    directives = csp_directives(csp)
    assert page.scripts and page.styles
    for body in page.scripts:
        assert csp_source(body) in directives["script-src"]
    for body in page.styles:
        assert csp_source(body) in directives["style-src"]
    assert all(not e.attrs.get("src") for e in page.find("script"))


def test_csp_is_strict(view, token):
    _, _, csp = _render(view, token)
    directives = csp_directives(csp)
    assert directives["default-src"] == ["'none'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp


def test_no_style_attributes_or_event_handlers(view, token):
    page, _, _ = _render(_all_actions(view), token)
    for element in page.elements:
        assert "style" not in element.attrs, element.tag
        assert not any(name.startswith("on") for name in element.attrs), element.tag


def test_no_url_to_another_host(view, token):
    page, _html, _ = _render(_all_actions(view), token)
    for element in page.elements:
        for name, value in element.attrs.items():
            assert not re.match(r"\s*(https?:)?//", value, re.I), (element.tag, name, value)
    for body in page.styles + page.scripts:
        assert not re.search(r"https?:|//[a-z0-9]", body, re.I), body
        assert "@import" not in body and "url(" not in body
    assert [(e.attrs["rel"], e.attrs["href"][:5]) for e in page.find("link")] == [("icon", "data:")]
    assert not page.find("iframe")


def test_token_only_in_action_urls(view, token):
    page, html, _ = _render(_all_actions(view), token)
    carrying = [
        (e.tag, name, value) for e in page.elements for name, value in e.attrs.items() if token in value
    ]
    assert sorted(carrying) == sorted([
        ("form", "action", f"{token}/bookings"),
        ("form", "action", f"{token}/decline"),
        ("form", "action", f"{token}/bookings/bk-1/cancel"),
        ("a", "href", f"{token}/calendar.ics"),
    ])
    assert html.count(token) == 4
    assert token not in " ".join(page.scripts + page.styles)


def test_forms_post_to_relative_urls_and_carry_the_language(view, token):
    page, _, _ = _render(_all_actions(view), token, "de")
    forms = page.forms()
    assert len(forms) == 3
    for form in forms:
        assert form.attrs["method"] == "post"
        assert form.attrs["action"].startswith(token + "/")
        hidden = [e for e in page.children_of_form(form) if e.attrs.get("type") == "hidden"]
        assert [(h.attrs["name"], h.attrs["value"]) for h in hidden] == [("lang", "de")]
        assert [e for e in page.children_of_form(form) if e.tag == "button" and e.attrs["type"] == "submit"]


def test_calendar_link_is_relative(view, token):
    page, _, _ = _render(view, token)
    assert page.find("a", href=f"{token}/calendar.ics")


def test_odd_token_characters_cannot_escape_the_path(view):
    page, _, _ = _render(_all_actions(view), "javascript:x/../y?z")
    for form in page.forms():
        assert form.attrs["action"].startswith("javascript%3Ax%2F..%2Fy%3Fz/")


@pytest.mark.parametrize("can_book", [True, False])
@pytest.mark.parametrize("can_cancel", [True, False])
@pytest.mark.parametrize("can_decline", [True, False])
def test_buttons_appear_only_when_the_actions_allow(view, token, can_book, can_cancel, can_decline):
    view["actions"] = {"can_book": can_book, "can_cancel": can_cancel, "can_decline": can_decline}
    page, _, _ = _render(view, token)
    actions = {f.attrs["action"] for f in page.forms()}
    assert (f"{token}/bookings" in actions) is can_book
    assert (f"{token}/decline" in actions) is can_decline
    assert (f"{token}/bookings/bk-1/cancel" in actions) is can_cancel
    assert bool(page.inputs()) is can_book


def test_no_cancel_button_for_a_cancelled_booking(view, token):
    view["bookings"][0]["status"] = "cancelled"
    page, _, _ = _render(_all_actions(view), token)
    assert not [f for f in page.forms() if f.attrs["action"].endswith("/cancel")]


def test_confirmed_booking_shows_qr_and_ticket_code(view, token):
    page, _, _ = _render(view, token)
    assert len(page.find("svg")) == 1
    assert "T-7QX2-93KD" in page.all_text()
    assert translate("booking.status.confirmed", "en") in page.all_text()


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_unconfirmed_booking_has_no_qr_code(view, token, status):
    view["bookings"][0]["status"] = status
    page, _, _ = _render(view, token)
    assert not page.find("svg")
    assert "T-7QX2-93KD" not in page.all_text()
    assert translate(f"booking.status.{status}", "en") in page.all_text()


@pytest.mark.parametrize("status", ["open", "accessed", "registered", "unregistered", "waitlisted", "attended"])
def test_status_is_shown_in_words(view, token, status):
    view["status"] = status
    page, _, _ = _render(view, token, "fr")
    badge = page.find("span", **{"class": "badge", "data-status": status})
    assert badge
    assert translate(f"status.{status}", "fr") in page.all_text()


def test_notice_is_translated_and_success_is_a_status(view, token):
    page, _, _ = _render(view, token, "de", notice="booking_confirmed")
    assert translate("notice.booking_confirmed", "de") in page.all_text()
    assert page.find("div", role="status")


def test_error_notice_is_an_alert_and_unknown_codes_get_a_generic_text(view, token):
    page, _, _ = _render(view, token, "en", notice="invalid_email")
    assert translate("notice.invalid_email", "en") in page.all_text()
    assert page.find("div", role="alert")
    page, _, _ = _render(view, token, "en", notice="<b>weird</b>")
    assert translate("notice.error", "en") in page.all_text()
    assert "weird" not in page.all_text()


def test_no_notice_no_banner(view, token):
    page, _, _ = _render(view, token)
    assert not page.find("div", role="status") and not page.find("div", role="alert")


def test_dates_are_shown_in_the_event_time_zone_and_language(view, token):
    page, _, _ = _render(view, token, "en")
    assert "Saturday 14 June 2025, 18:30 –\u00a022:00" in page.all_text()  # 16:30Z is 18:30 in Zurich
    page, _, _ = _render(view, token, "de")
    assert "Samstag, 14. Juni 2025, 18:30 –\u00a022:00\u00a0Uhr" in page.all_text()
    page, _, _ = _render(view, token, "fr")
    assert "samedi 14 juin 2025, 18\u00a0h\u00a030 –\u00a022\u00a0h\u00a000" in page.all_text()
    page, _, _ = _render(view, token, "it")
    assert "sabato 14 giugno 2025, 18:30 –\u00a022:00" in page.all_text()


def test_event_over_several_days_shows_both_dates(view, token):
    view["event"]["end"] = "2025-06-15T01:00:00+02:00"
    page, _, _ = _render(view, token, "en")
    assert "Saturday 14 June 2025, 18:30 – Sunday 15 June 2025, 01:00" in page.all_text()


def test_language_switch_lists_only_the_event_languages(view, token):
    page, _, _ = _render(view, token, "fr")
    links = [a.attrs["href"] for a in page.find("a") if a.attrs.get("hreflang")]
    assert links == ["?lang=de", "?lang=fr", "?lang=en"]
    assert page.find("a", hreflang="fr")[0].attrs.get("aria-current") == "true"


def test_minimal_view_renders(token):
    view = {"event": {"event_id": "e1", "name": "X", "start": "2025-01-01T10:00:00+01:00"},
            "contact": {}, "status": "open", "bookings": [], "actions": {}}
    page, _, _ = _render(view, token)
    assert not page.forms()
    assert page.find("a", href=f"{token}/calendar.ics")
