"""/health answers 200 only once every route works: the first organiser call after it succeeds."""

from __future__ import annotations

import os
import secrets
import subprocess
import time

import requests
from conftest import GUESTLIST, ROOT, stop_stack

from support.network import free_port


def test_first_organiser_call_after_health_succeeds_and_demo_data_is_there(tmp_path):
    api_port, aws_port = free_port(), free_port()
    key = secrets.token_urlsafe(24)
    log = tmp_path / "up.log"
    process = subprocess.Popen([str(GUESTLIST), "up", "--demo", "--port", str(api_port), "--aws-port", str(aws_port)],
                               cwd=ROOT, env={"GUESTLIST_TIMEOUT_SCALE": "3", **os.environ, "GUESTLIST_ADMIN_KEY": key}, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{api_port}"
    seen: set[object] = set()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, f"never ready; saw {seen}:\n{log.read_text()}"
            assert process.poll() is None, log.read_text()
            try:
                status = requests.get(f"{api}/health", timeout=5).status_code
            except requests.ConnectionError:
                status = "closed"
            seen.add(status)
            if status == 200:
                break
            time.sleep(0.02)  # poll tightly: the gap between ready and working is what this test is about
        events = requests.get(f"{api}/events", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert events.status_code == 200, events.text
        assert "Sommerfest 2027" in events.text  # the demo data is in place too
        assert seen <= {"closed", 503, 200} and 503 in seen  # the port opens early and says "starting" until then
    finally:
        stop_stack(process)
