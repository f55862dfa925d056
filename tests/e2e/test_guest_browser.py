"""A real browser on a personal link: pre-filled form, booking, QR code, cancel (Debian's Chromium via Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("GUESTLIST_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (GUESTLIST_REQUIRE_BROWSER is set) but is not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def test_guest_books_sees_the_qr_code_and_cancels_in_a_real_browser(running, browser):
    api, admin = running.api, running.admin
    event_id = requests.post(f"{api}/events", headers=admin, timeout=10, json={
        "name": "Vernissage", "start": "2027-05-20T19:00:00+02:00", "end": "2027-05-20T22:00:00+02:00",
        "timezone": "Europe/Zurich", "venue": "Kunsthaus", "languages": ["de", "fr", "en"], "default_language": "de",
        "capacity": 20}).json()["event_id"]
    contact = requests.post(f"{api}/events/{event_id}/contacts", headers=admin, timeout=10, json={
        "identifier": "zoe@example.com", "firstname": "Zoé", "lastname": "Keller", "email": "zoe@example.com",
        "language": "fr"}).json()
    link = contact["personal_link"]

    page = browser.new_page(viewport={"width": 390, "height": 1200})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("input[name=firstname]").input_value() == "Zoé"
    assert page.locator("input[name=email]").input_value() == "zoe@example.com"

    # the page's own script records the visit (a plain GET does not)
    page.wait_for_function("() => true")
    page.wait_for_timeout(300)
    assert requests.get(link, timeout=5).json()["status"] == "accessed"

    page.locator("input[name=lastname]").fill("Keller-Muster")
    page.locator("form[action$='/bookings'] button[type=submit]").click()
    page.wait_for_load_state()
    ticket = page.locator("[data-booking-status=confirmed] .ticket svg")
    assert ticket.count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "guest-booked.png"), full_page=True)

    state = requests.get(link, timeout=5).json()
    assert state["status"] == "registered" and state["contact"]["lastname"] == "Keller-Muster"
    code = state["bookings"][0]["ticket_code"]
    shown = page.locator("[data-booking-status=confirmed] .code")
    assert shown.get_attribute("data-code") == code and shown.inner_text().replace(" ", "") == code
    groups = shown.locator("span")
    assert groups.count() == 8 and len({round(groups.nth(i).bounding_box()["height"]) for i in range(8)}) == 1

    page.locator("[data-booking-status=confirmed] form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-booking-status=cancelled]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "guest-cancelled.png"), full_page=True)
    assert requests.get(link, timeout=5).json()["status"] == "unregistered"
    assert not [e for e in errors if "Content Security Policy" in e], errors


FORM = [
    {"id": "firstname", "required": True},
    {"id": "lastname", "required": True},
    {"id": "diet", "type": "select", "required": True, "label": {"de": "Ernährung", "fr": "Régime alimentaire"},
     "help": {"de": "Wir planen das Essen danach.", "fr": "Pour planifier le repas."},
     "options": [{"value": "vegan", "label": {"de": "Vegan", "fr": "Végétalien"}}, {"value": "all", "label": {"de": "Alles", "fr": "Tout"}}]},
    {"id": "workshops", "type": "multiselect", "label": {"de": "Workshops", "fr": "Ateliers"},
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
    {"id": "consent", "type": "checkbox", "required": True,
     "label": {"de": "Ich bin mit der Datenbearbeitung einverstanden", "fr": "J'accepte le traitement de mes données"}},
]


def _form_event(api, admin) -> str:
    response = requests.post(f"{api}/events", headers=admin, timeout=10, json={
        "name": {"de": "Sommerfest", "fr": "Fête d'été"}, "start": "2027-06-20T18:00:00+02:00",
        "end": "2027-06-20T23:00:00+02:00", "timezone": "Europe/Zurich", "venue": {"de": "Seeufer", "fr": "Bord du lac"},
        "description": {"de": "Apéro und Musik.", "fr": "Apéritif et musique."}, "languages": ["de", "fr", "en"],
        "default_language": "de", "capacity": 50, "form": FORM, "privacy_url": "https://example.com/privacy",
        "organiser": {"name": "Muster AG", "email": "events@example.com", "url": "https://example.com"},
        "permission_groups": [{"name": "Public", "public_registration": True}]})
    assert response.status_code == 201, response.text
    return response.json()["event_id"]


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_the_form_in_the_guests_language_keeps_typed_values_on_refusal_and_books(running, browser, lang):
    api, admin = running.api, running.admin
    event_id = _form_event(api, admin)
    contact = requests.post(f"{api}/events/{event_id}/contacts", headers=admin, timeout=10, json={
        "identifier": f"form-{lang}@example.com", "firstname": "Léa", "language": lang}).json()
    page = browser.new_page(viewport={"width": 390, "height": 1200}, locale=lang)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(contact["personal_link"])
    title = {"de": "Sommerfest", "fr": "Fête d'été"}[lang]
    assert page.locator("h1").inner_text() == title and title in page.title()
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("label[for=f-2]").inner_text().startswith({"de": "Ernährung", "fr": "Régime alimentaire"}[lang])
    assert page.locator("input[name=firstname]").input_value() == "Léa"
    assert page.locator("a[href='https://example.com/privacy']").count() == 1
    assert page.locator("link[rel=icon]").count() == 1
    # the browser's own checks are skipped so the server's refusal is what the guest sees
    page.locator("form[action$='/bookings']").evaluate("form => form.noValidate = true")
    page.locator("input[name=lastname]").fill("Keller")
    page.locator("select[name=diet]").select_option("vegan")
    page.locator("input[name=workshops][value=b]").check()
    page.locator("form[action$='/bookings'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".notice-error").count() == 1
    assert page.locator("input[name=lastname]").input_value() == "Keller"
    assert page.locator("select[name=diet]").input_value() == "vegan"
    assert page.locator("input[name=workshops][value=b]").is_checked()
    assert page.locator("input[name=consent]").get_attribute("aria-invalid") == "true"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"guest-form-refused-{lang}.png"), full_page=True)
    page.locator("input[name=consent]").check()
    page.locator("form[action$='/bookings'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-booking-status=confirmed] .ticket svg").count() == 1
    assert page.locator(".status .badge").inner_text() == {"de": "Sie sind angemeldet", "fr": "Vous êtes inscrit·e"}[lang]
    page.screenshot(path=str(ARTIFACTS / f"guest-form-booked-{lang}.png"), full_page=True)
    state = requests.get(contact["personal_link"], timeout=5).json()
    assert state["contact"]["lastname"] == "Keller" and state["bookings"][0]["answers"]["workshops"] == ["b"]
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_public_page_and_the_not_found_page_in_a_browser(running, browser):
    api, admin = running.api, running.admin
    event_id = _form_event(api, admin)
    page = browser.new_page(viewport={"width": 390, "height": 1200}, locale="fr-CH")
    page.goto(f"{api}/r/{event_id}")
    assert page.locator("html").get_attribute("lang") == "fr" and page.locator("h1").inner_text() == "Fête d'été"
    page.locator("input[name=email]").fill("public-visitor@example.com")
    page.locator("input[name=firstname]").fill("Noé")
    page.locator("input[name=lastname]").fill("Public")
    page.locator("select[name=diet]").select_option("all")
    page.locator("input[name=consent]").check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "public-page-fr.png"), full_page=True)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".notice-success").count() == 1
    page.goto(f"{api}/e/{'A' * 43}")
    assert page.locator("html").get_attribute("lang") == "fr" and "Lien introuvable" in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "not-found-fr.png"), full_page=True)
