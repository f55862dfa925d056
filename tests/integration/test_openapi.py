"""The OpenAPI document is generated from the handlers and covers exactly the template's routes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_document_covers_every_template_route_and_no_other():
    out = subprocess.run([str(Path(sys.executable).parent / "guestlist"), "openapi"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    from guestlist_local.openapi import documented_routes, template_routes
    from guestlist_local.template import load_topology

    assert documented_routes(document) == template_routes(load_topology(ROOT / "template.yaml"))
    assert document["paths"]["/events"]["post"]["security"] == [{"key": []}]
    assert "security" not in document["paths"]["/e/{token}"]["get"]
