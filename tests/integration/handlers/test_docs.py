"""GET /openapi.json and /docs: the served document is the one `guestlist openapi` generates, the page
renders it with files this function serves (no CDN), and no key is needed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from support.events import http_event

ROOT = Path(__file__).resolve().parents[3]


def _get(stack, path, route, path_parameters=None):
    return stack.http("DocsFunction", http_event("GET", path, route, path_parameters=path_parameters))


def test_served_document_is_the_generated_one(stack):
    status, served, headers = _get(stack, "/openapi.json", "/openapi.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    out = subprocess.run([str(Path(sys.executable).parent / "guestlist"), "openapi"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert served == json.loads(out.stdout)


def test_docs_page_uses_only_its_own_assets(stack):
    status, page, headers = _get(stack, "/docs", "/docs")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references and not [r for r in references if "//" in r]  # nothing from another host
    for asset, kind in (("docs.js", "javascript"), ("docs.css", "css")):
        assert f"docs/{asset}" in references
        status, body, headers = _get(stack, f"/docs/{asset}", "/docs/{asset}", {"asset": asset})
        assert status == 200 and kind in headers["content-type"] and len(body) > 500
        assert "http://" not in body and "https://" not in body.replace("https://spec.openapis.org", "")
    status, body, _ = _get(stack, "/docs/app.py", "/docs/{asset}", {"asset": "app.py"})
    assert status == 404 and body["error"]["code"] == "not_found"
