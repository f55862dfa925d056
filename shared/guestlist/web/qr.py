"""The check-in QR code of a booking, as inline SVG rendered on the server."""

from __future__ import annotations

import segno

# Medium error correction survives a scratched phone screen; segno may boost it further.
ERROR_LEVEL = "m"
SCALE = 4
BORDER = 4


def qr_matrix_code(ticket_code: str) -> segno.QRCode:
    """The QR code object for a ticket code (tests compare against it)."""
    return segno.make_qr(ticket_code, error=ERROR_LEVEL)


def qr_svg(ticket_code: str, title: str | None = None) -> str:
    """An `<svg>` element (no XML declaration) holding `ticket_code`.

    Only presentation attributes, never a `style` attribute, so the page's CSP needs
    no 'unsafe-inline' for it. Size comes from the page's CSS via the `qr` class.
    """
    return qr_matrix_code(ticket_code).svg_inline(
        scale=SCALE,
        border=BORDER,
        dark="#000",
        title=title,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
