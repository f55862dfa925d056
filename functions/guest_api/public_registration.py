"""Public registration routes of the guest function: `/r/{event_id}` (DESIGN.md s10).

HTML for browsers, JSON otherwise; an unknown or closed event is the same 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from guestlist.api import SECURITY_HEADERS, json_response
from guestlist.edge import Edge
from guestlist.errors import GuestlistError, NotFound
from guestlist.lean_imports import on_first_use
from guestlist.schemas.guest import GUEST_BODY_MAX_BYTES, GuestAnswers, PageQuery, PublicEvent, RegistrationAccepted

# the public pages' own rules and rate-limit model: only their routes need them (cold start, DESIGN.md s9)
registration = on_first_use("guestlist.registration")

router = APIGatewayHttpRouter()
edge = Edge(router, auth=False, tag="registration")


def _wants_html() -> bool:
    return "text/html" in (router.current_event.headers.get("accept") or "")


def _wants_json() -> bool:
    return "application/json" in (router.current_event.headers.get("accept") or "")


def _query(name: str) -> str | None:
    return (router.current_event.query_string_parameters or {}).get(name)


def _html(html: str, csp: str, status: int = 200) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers={**SECURITY_HEADERS, "Content-Security-Policy": csp, "X-Frame-Options": "DENY"})


def _not_found() -> Response:
    from guestlist.web import render_not_found

    return _html(*render_not_found(_query("lang"), router.current_event.headers.get("accept-language")), status=404)


def _page(event_id: str, lang: str | None, *, notice: str | None = None, status: int = 200,
          submitted: dict | None = None, error_field: str | None = None) -> Response:
    from guestlist.web import render_public_page
    from guestlist.web.i18n import choose_language, language_from_header

    event, _group = registration.open_event(event_id)
    view = registration.public_event_json(event)["event"]
    chosen = choose_language(lang, language_from_header(router.current_event.headers.get("accept-language")), view)
    raw_path = router.current_event.raw_path
    if raw_path.endswith("/registrations"):  # a refused post, answered at the form's own URL
        action, page = raw_path, raw_path.rsplit("/registrations", 1)[0]
    else:
        action, page = f"{event_id}/registrations", ""  # relative to /r/{event_id}: keeps any stage prefix
    return _html(*render_public_page(view, chosen, action=action, page=page, notice=notice, submitted=submitted,
                                     error_field=error_field), status=status)


@edge.get("/r/<event_id>", query=PageQuery, response=PublicEvent, also=("text/html",), html_errors=(404,),
          summary="An event's public registration page", description="HTML for browsers, JSON otherwise; "
          "an unknown or closed event is the same 404.")
def public_page(event_id: str, query: PageQuery):
    if _wants_json() or not _wants_html():
        event, _group = registration.open_event(event_id)
        return registration.public_event_json(event)
    try:
        return _page(event_id, query.lang, notice=query.notice)
    except NotFound:
        return _not_found()


@edge.post("/r/<event_id>/registrations", body=GuestAnswers, form=True, status=202, response=RegistrationAccepted,
           responses={303: None}, errors=(429,), html_errors=(404, 422, 429, 503), max_bytes=GUEST_BODY_MAX_BYTES,
           summary="Register with an email address",
           description="202 whether the email is new or known (no enumeration); the mail carries the personal link. "
                       "A browser's form post gets a 303 to the page, or the page again with the field at fault.")
def register(event_id: str, body: dict):
    """202 whether the email is new or known (no enumeration); the mail carries the link."""
    client_ip = router.current_event.request_context.http.source_ip or "unknown"
    content_type = router.current_event.headers.get("content-type") or ""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        registration.register(event_id, body, client_ip)
        return json_response(202, {"status": "accepted",
                                   "message": "if the address can register, it gets an email with its personal link"})
    form = body
    lang = str(form.get("language") or form.get("lang") or "") or None
    try:
        registration.register(event_id, form, client_ip, html=True)
    except NotFound:
        return _not_found()
    except GuestlistError as exc:
        return _page(event_id, lang, notice=exc.code, status=exc.status, submitted=form, error_field=exc.detail.get("field"))
    page = router.current_event.raw_path.rsplit("/registrations", 1)[0]
    query = urlencode({"lang": lang, "notice": "registration_received"} if lang else {"notice": "registration_received"})
    return Response(status_code=303, content_type="text/plain", body="", headers={**SECURITY_HEADERS, "Location": f"{page}?{query}"})
