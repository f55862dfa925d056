"""Pure campaign rules: unsubscribe tokens, the template sandbox, rendering, bounce classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guestlist import campaign_templates, unsubscribe
from guestlist.errors import InvalidRequest, NotFound

SECRET = b"u" * 64


@given(st.text(min_size=1, max_size=40).filter(lambda s: "\x1f" not in s), st.text(min_size=1, max_size=200))
def test_an_unsubscribe_token_opens_to_its_own_contact(event_id, identifier):
    token = unsubscribe.seal(SECRET, event_id, identifier)
    assert unsubscribe.open_token(SECRET, token) == (event_id, identifier)
    assert "@" not in token


def test_an_altered_or_foreign_unsubscribe_token_is_the_same_404():
    token = unsubscribe.seal(SECRET, "evt-1", "anna@example.org")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[1:], "x" * 43, "", "../../etc",
                unsubscribe.seal(b"v" * 64, "evt-1", "anna@example.org")):
        with pytest.raises(NotFound):
            unsubscribe.open_token(SECRET, bad)


def test_the_token_does_not_show_the_address():
    assert "anna" not in unsubscribe.seal(SECRET, "evt-1", "anna@example.org")


@pytest.mark.parametrize("source", ["{{ ''.__class__ }}", "{{ x._private }}", "{{ x['__dict__'] }}", "{{ x.y() }}",
                                    "{{ x|attr('y') }}", "{% import 'a' as b %}", "{% extends 'a' %}", "{{ _ }}"])
def test_the_sandbox_refuses_what_could_reach_python(source):
    with pytest.raises(InvalidRequest) as caught:
        campaign_templates.validate({"en": {"subject": "s", "body": source}}, languages=["en"], default_language="en",
                                    channel="email")
    assert caught.value.code == "unsafe_template" and caught.value.detail["field"] == "templates.en.body"


def test_rendering_escapes_contact_values_in_html_and_adds_the_link_and_footer():
    context = {"firstname": "<b>Eve</b>", "link": "https://g.example/e/T", "unsubscribe_url": "https://g.example/u/U",
               "event": {"name": "Gala"}}
    out = campaign_templates.render({"subject": "Hi {{ firstname }}", "body": "Dear {{ firstname }}"}, context,
                                    lang="en", button_label="Open", unsubscribe_label="Unsubscribe")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in out.html and "<b>Eve" not in out.html
    assert "https://g.example/e/T" in out.text and 'href="https://g.example/e/T"' in out.html
    assert "https://g.example/u/U" in out.text and 'href="https://g.example/u/U"' in out.html
    assert out.subject == "Hi <b>Eve</b>"


@pytest.mark.parametrize(("notification", "expected"), [
    ({"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "a@x.org"}]}},
     [("a@x.org", "bounce", "bounce:General")]),
    ({"eventType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "a@x.org"}]}}, []),
    ({"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "b@x.org"}]}},
     [("b@x.org", "complaint", "complaint:unspecified")]),
    ({"eventType": "Delivery"}, []),
])
def test_permanent_bounces_and_complaints_make_addresses_undeliverable(notification, expected):
    assert unsubscribe.feedback_addresses(notification) == expected


def test_unsubscribe_tokens_are_redacted_from_log_lines_like_link_tokens():
    from guestlist.tokens import redact

    assert redact("POST /u/gmKtsklgrW7IBjB4Eds0wSolCKOLiTUyUeSl?x=1 200") == "POST /u/[token]?x=1 200"
    assert redact("GET /e/abcDEF123_-xyz/calendar.ics") == "GET /e/[token]/calendar.ics"
