import re

import segno

from guestlist.web import qr_svg
from guestlist.web.qr import BORDER


def _matrix_from_svg(svg: str) -> list[list[int]]:
    """Rebuild the module matrix from segno's path ("M x y", "m dx dy", "h n")."""
    size = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))
    width = size // scale
    grid = [[0] * width for _ in range(width)]
    x = y = 0.0
    path = re.search(r' d="([^"]+)"', svg).group(1)
    for cmd, args in re.findall(r"([MmHh])([^MmHh]+)", path):
        nums = [float(n) for n in args.split()]
        if cmd == "M":
            x, y = nums
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            for i in range(int(nums[0])):
                grid[int(y)][int(x) + i] = 1
            x += nums[0]
    return [row[BORDER:width - BORDER] for row in grid[BORDER:width - BORDER]]


def test_qr_is_an_inline_svg_without_xml_declaration():
    svg = qr_svg("T-7QX2-93KD")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<?xml" not in svg
    assert "style=" not in svg


def test_qr_holds_the_ticket_code():
    code = "T-7QX2-93KD"
    expected = [[1 if bit else 0 for bit in row] for row in segno.make_qr(code, error="m").matrix]
    assert _matrix_from_svg(qr_svg(code)) == expected
    other = [[1 if bit else 0 for bit in row] for row in segno.make_qr("T-7QX2-93KE", error="m").matrix]
    assert _matrix_from_svg(qr_svg(code)) != other


def test_qr_title_is_escaped():
    svg = qr_svg("x", title="<script>")
    assert "<script>" not in svg
