"""What the guest sees: the personal page, its texts in four languages, the calendar file, the QR code."""

from .calendar import build_calendar
from .i18n import SUPPORTED_LANGUAGES, choose_language, translate
from .page import render_guest_page, render_not_found, render_public_page
from .qr import qr_svg

__all__ = [
    "SUPPORTED_LANGUAGES",
    "build_calendar",
    "choose_language",
    "qr_svg",
    "render_guest_page",
    "render_not_found",
    "render_public_page",
    "translate",
]
