"""The guest page follows the event's form and texts (DESIGN.md s10)."""

from web_html import Page

from guestlist.web import render_guest_page, render_not_found, render_public_page
from guestlist.web.i18n import language_from_header
from guestlist.web.page import ticket_groups

FORM = [
    {"id": "firstname", "type": "text", "required": True},
    {"id": "bio", "type": "textarea", "label": "Bio", "max_length": 300, "help": {"en": "A few words", "de": "Ein paar Worte"}},
    {"id": "diet", "type": "select", "label": {"de": "Ernährung"}, "options": [{"value": "vegan", "label": {"de": "Vegan"}}, {"value": "meat"}]},
    {"id": "topics", "type": "multiselect", "label": "Topics", "options": [{"value": "ai"}, {"value": "ops"}]},
    {"id": "consent", "type": "checkbox", "label": "I agree", "required": True},
    {"id": "arrival", "type": "date", "label": "Arrival"},
    {"id": "guests", "type": "number", "label": "Guests"},
    {"id": "phone_mobile", "type": "phone"},
]


def _page(view, token, lang="en", **kw) -> Page:
    view["actions"] = {"can_book": True, "can_cancel": True, "can_decline": True, **view.get("extra_actions", {})}
    html, _csp = render_guest_page(view, token, lang, **kw)
    return Page(html)


def test_each_field_type_gets_its_widget_in_form_order_with_label_help_and_required_mark(view, token):
    view["event"]["form"] = FORM
    view["contact"]["custom"] = {"diet": "meat", "topics": ["ops"], "consent": True, "guests": 2}
    html, _ = render_guest_page({**view, "actions": {"can_book": True}}, token, "de")
    page = Page(html)
    names = [e.attrs.get("name") for e in page.elements if e.tag in ("input", "select", "textarea") and e.attrs.get("name") != "lang"]
    assert names == ["firstname", "bio", "diet", "topics", "topics", "consent", "arrival", "guests", "phone_mobile"]
    assert 'maxlength="300"' in html and "Ein paar Worte" in html and "Ernährung" in html and ">Vegan<" in html
    assert '<option value="meat" selected>' in html and 'name="topics" value="ops" checked' in html
    assert 'name="consent" value="on" checked required' in html and 'type="date"' in html and 'type="number"' in html
    assert 'type="tel"' in html and 'value="+41 79 123 45 67"' in html and html.count("(Pflichtfeld)") == 2


def test_a_refused_post_shows_what_was_typed_and_marks_the_field(view, token):
    view["event"]["form"] = FORM
    page = _page(view, token, notice="too_long", submitted={"firstname": "Typed", "bio": "x" * 301, "topics": ["ai", "ops"]},
                 error_field="bio")
    assert page.inputs()["firstname"].attrs["value"] == "Typed"
    html = render_guest_page({**view, "actions": {"can_book": True}}, token, "en", notice="too_long",
                             submitted={"bio": "x" * 301}, error_field="bio")[0]
    assert 'aria-invalid="true">' + "x" * 301 + "</textarea>" in html


def test_event_texts_follow_the_guests_language_else_the_default(view, token):
    view["event"].update(name={"de": "Sommerfest", "fr": "Fête d'été"}, venue={"de": "Seeufer"}, description="Plain")
    assert "Fête d&#39;été" in render_guest_page(view, token, "fr")[0]
    html = render_guest_page(view, token, "it")[0]
    assert "<title>Sommerfest" in html and "Seeufer" in html and "Plain" in html


def test_ticket_code_is_shown_in_groups_that_never_break_inside(view, token):
    code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    view["bookings"][0]["ticket_code"] = code
    html = render_guest_page(view, token, "en")[0]
    assert ticket_groups(code) == ["ABCD", "EFGH", "IJKL", "MNOP", "QRST", "UVWX", "YZ23", "4567"]
    assert f'data-code="{code}"><span>ABCD</span> <span>EFGH</span>' in html
    assert ".code > span { white-space: nowrap" in html


def test_organiser_block_privacy_link_favicon_and_guest_status_words(view, token):
    view["event"]["organiser"] = {"name": "Muster AG", "email": "events@muster.example", "url": "javascript:alert(1)"}
    view["event"]["privacy_url"] = "https://muster.example/privacy"
    html = render_guest_page(view, token, "en")[0]
    assert "Invited by" in html and "Muster AG" in html and 'href="mailto:events@muster.example"' in html
    assert "javascript:" not in html and 'href="https://muster.example/privacy"' in html
    assert 'rel="icon" href="data:image/svg+xml' in html and "You are registered" in html


def test_join_button_only_when_the_view_allows_it_and_never_the_url(view, token):
    view["event"]["online"] = {"opens_at": "2025-06-14T16:00:00+00:00"}
    html = render_guest_page({**view, "actions": {"can_join": True}}, token, "en")[0]
    assert f'href="{token}/join"' in html
    html = render_guest_page({**view, "actions": {"can_join": False}}, token, "en")[0]
    assert "/join" not in html and "Joining opens on" in html


def test_not_found_page_speaks_the_browsers_language():
    assert language_from_header("en;q=0.2, de-CH;q=0.9, fr;q=0.8") == "de"
    assert language_from_header("xx, *;q=0.1") is None
    html, csp = render_not_found(None, "it-CH")
    assert '<html lang="it">' in html and "Link non trovato" in html and "script-src 'none'" in csp
    assert '<html lang="en">' in render_not_found(None, None)[0]


def test_public_page_asks_email_language_and_the_form_without_a_second_email(view):
    event = {**view["event"], "form": [{"id": "email", "type": "email"}, *FORM[:1]], "privacy_url": "https://x.example/p"}
    html, _csp = render_public_page(event, "de", action="evt/registrations", submitted={"email": "a@b.ch"}, error_field="email")
    page = Page(html)
    assert [e.attrs["name"] for e in page.find("input") if e.attrs.get("name") == "email"] == ["email"]
    assert 'value="a@b.ch"' in html and 'aria-invalid="true"' in html and 'name="language"' in html
    assert 'action="evt/registrations"' in html and "https://x.example/p" in html and "<script" not in html
