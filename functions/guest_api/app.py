"""Guest API: the personal link is the credential. JSON for apps, HTML for browsers."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from public_registration import router as public_registration_router

from guestlist import guest
from guestlist.api import SECURITY_HEADERS, HttpResolver, install_error_handlers, json_response
from guestlist.edge import Edge
from guestlist.errors import GuestlistError, NotFound
from guestlist.lean_imports import on_first_use
from guestlist.observability import new_metrics, new_tracer
from guestlist.retry import lambda_deadline
from guestlist.schemas.guest import (
    GUEST_BODY_MAX_BYTES,
    Booking,
    CalendarQuery,
    FormNote,
    GuestAnswers,
    GuestStatus,
    GuestView,
    Health,
    PageQuery,
    Unsubscribed,
)

# the unsubscribe page's texts and token rules: only its two routes need them (cold start, DESIGN.md s9)
unsubscribe = on_first_use("guestlist.unsubscribe")

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()
app = HttpResolver()
install_error_handlers(app)
edge = Edge(app, auth=False, tag="guest")
app.include_router(public_registration_router)


def _wants_html() -> bool:
    return "text/html" in (app.current_event.headers.get("accept") or "")


def _lang() -> str | None:
    return (app.current_event.query_string_parameters or {}).get("lang")


def _html(html: str, csp: str, status: int = 200) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers={**SECURITY_HEADERS, "Content-Security-Policy": csp, "X-Frame-Options": "DENY"})


def _page(token: str, notice: str | None = None, status: int = 200, submitted: dict | None = None,
          error_field: str | None = None) -> Response:
    lang = _lang() or (submitted or {}).get("lang")
    raw_path = app.current_event.raw_path  # a refused post is answered at .../bookings: links need the page's path
    page_path = raw_path[: raw_path.index("/e/") + 3] + token if submitted is not None and "/e/" in raw_path else None
    return _html(*guest.page_html(token, lang, notice, submitted, error_field, page_path), status=status)


def _not_found_page() -> Response:
    """A mistyped or dead link in a browser: a page in the browser's language, not raw JSON."""
    from guestlist.web import render_not_found

    return _html(*render_not_found(_lang(), app.current_event.headers.get("accept-language")), status=404)


def _after_form_post(token: str, notice: str, lang: str | None) -> Response:
    """Browsers posting a form get a redirect back to their page (post/redirect/get)."""
    raw_path = app.current_event.raw_path  # keeps any stage prefix in front of /e/{token}
    page = raw_path[: raw_path.index("/e/") + 3] + token
    query = urlencode({"lang": lang, "notice": notice} if lang else {"notice": notice})
    return Response(status_code=303, content_type="text/plain", body="", headers={**SECURITY_HEADERS, "Location": f"{page}?{query}"})


@edge.get("/health", response=Health, summary="Liveness")
def health():
    return {"status": "ok"}


@edge.get("/e/<token>", query=PageQuery, response=GuestView, also=("text/html",), html_errors=(404,),
          summary="The guest's page", description="HTML for browsers (`Accept: text/html`), JSON otherwise; no side effect.")
def view(token: str, query: PageQuery):
    if _wants_html():
        try:
            return _page(token, query.notice)
        except NotFound:
            return _not_found_page()
    return guest.view_json(token)


@edge.get("/e/<token>/join", query=PageQuery, status=302, responses={303: None}, errors=(409,), html_errors=(404,),
          summary="Join the online event", description="A confirmed guest inside the window is redirected to the "
          "meeting (302); the URL is never shown. A browser refused gets a 303 back to its page.")
def join(token: str, query: PageQuery):
    """The online event's door: redirects a confirmed guest inside the window, never shows the URL."""
    try:
        url = guest.join(token)
    except NotFound:
        if _wants_html():
            return _not_found_page()
        raise
    except GuestlistError as exc:
        if _wants_html():
            return _after_form_post(token, exc.code, _lang())
        raise
    return Response(status_code=302, content_type="text/plain", body="", headers={**SECURITY_HEADERS, "Location": url})


@edge.post("/e/<token>/visit", response=GuestStatus, summary="Record the first visit (called by the page's script)")
def visit(token: str):
    return {"status": guest.visit(token)}


@edge.post("/e/<token>/bookings", body=GuestAnswers, form=True, status=201, response=Booking, responses={303: None},
           errors=(409,), html_errors=(409, 422, 503), max_bytes=GUEST_BODY_MAX_BYTES, summary="Register",
           description="Answers to the event's form. `confirmed` while seats last, else `waitlisted`. A browser's form "
                       "post gets a 303 back to the page, or the page again with the field at fault.")
def book(token: str, body: dict):
    form = body
    if _wants_html():
        try:
            booking = guest.book(token, form, html=True)
        except GuestlistError as exc:
            if exc.status == 404:
                raise
            # Refused: the page again, with what the guest typed and the field at fault.
            return _page(token, exc.code, status=exc.status, submitted=form, error_field=exc.detail.get("field"))
        return _after_form_post(token, f"booking_{booking['status']}", form.get("lang"))
    return json_response(201, guest.book(token, form))


@edge.post("/e/<token>/bookings/<booking_id>/cancel", body=FormNote, form=True, response=Booking, responses={303: None},
           errors=(403, 409), summary="Cancel a booking (when the event allows it)")
def cancel(token: str, booking_id: str, body: FormNote):
    if _wants_html():
        form = {"lang": body.lang}
        try:
            guest.cancel(token, booking_id)
        except GuestlistError as exc:
            if exc.status == 404:
                raise
            return _after_form_post(token, exc.code, form.get("lang"))
        return _after_form_post(token, "cancelled", form.get("lang"))
    return guest.cancel(token, booking_id)


@edge.post("/e/<token>/decline", body=FormNote, form=True, response=GuestStatus, responses={303: None}, errors=(409,),
           summary="Decline the invitation")
def decline(token: str, body: FormNote):
    if _wants_html():
        form = {"lang": body.lang}
        try:
            guest.decline(token)
        except GuestlistError as exc:
            if exc.status == 404:
                raise
            return _after_form_post(token, exc.code, form.get("lang"))
        return _after_form_post(token, "declined", form.get("lang"))
    return {"status": guest.decline(token)}


@edge.get("/e/<token>/calendar.ics", query=CalendarQuery, response=str, content_type="text/calendar", errors=(409,),
          summary="The event as a calendar entry, with the personal link")
def calendar(token: str, query: CalendarQuery):
    body = guest.calendar(token, query.lang)
    return Response(status_code=200, content_type="text/calendar; charset=utf-8", body=body.decode("utf-8"),
                    headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="event.ics"'})


# ------------------------------------------------------------------ one-click unsubscribe (RFC 8058)

def _unsubscribe_page(lang: str, done: bool) -> Response:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=unsubscribe.page_html(lang, done=done),
                    headers={**SECURITY_HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                             "form-action 'self'", "X-Frame-Options": "DENY", "X-Robots-Tag": "noindex"})


@edge.get("/u/<token>", content_type="text/html", errors=(404,), summary="Unsubscribe page: a confirm button",
          description="Never unsubscribes by itself (mail scanners prefetch links).")
def unsubscribe_page(token: str):
    return _unsubscribe_page(unsubscribe.language_of_token(token), done=False)


@edge.post("/u/<token>", response=Unsubscribed, also=("text/html",), errors=(404,),
           summary="Unsubscribe from the workspace's campaigns",
           description="One-click (List-Unsubscribe-Post: List-Unsubscribe=One-Click) or the page's button; idempotent. "
                       "Transactional mails still go.")
def unsubscribe_post(token: str):
    result = unsubscribe.unsubscribe(token)
    if "text/html" not in (app.current_event.headers.get("accept") or ""):
        return json_response(200, {"unsubscribed": True})
    return _unsubscribe_page(result["language"] if result["language"] in unsubscribe.PAGE_TEXTS else "en", done=True)


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
