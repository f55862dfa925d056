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
    assert code in page.locator("[data-booking-status=confirmed] .code").inner_text()

    page.locator("[data-booking-status=confirmed] form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-booking-status=cancelled]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "guest-cancelled.png"), full_page=True)
    assert requests.get(link, timeout=5).json()["status"] == "unregistered"
    assert not [e for e in errors if "Content Security Policy" in e], errors
