"""A fresh Python interpreter with a handler's environment: for what only a new process shows (what an
import loads, as a new Lambda container would)."""

from __future__ import annotations

import json
import subprocess
import sys

HANDLER_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "CONTACTS_TABLE": "c", "EVENTS_TABLE": "e", "HISTORY_TABLE": "h",
               "IMPORT_BUCKET": "b", "WORK_QUEUE_URL": "q", "LINK_SECRET_ARN": "s", "PATH": "/usr/bin:/bin"}


def fresh(code: str) -> dict:
    """Runs `code` in a new interpreter; its last printed line, read as JSON."""
    out = subprocess.run([sys.executable, "-c", code], env=HANDLER_ENV, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])
