"""End-to-end: `guestlist up` started as a user would, driven over HTTP on free ports."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
GUESTLIST = Path(sys.executable).parent / "guestlist"



@dataclass
class RunningStack:
    api: str
    aws: str
    admin_key: str
    process: subprocess.Popen
    log_path: Path
    ready_seconds: float

    @property
    def admin(self) -> dict:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(predicate, timeout: float = 30.0, every: float = 0.2):
    """The predicate's first truthy value; the stack works asynchronously (queues, streams)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


def start_stack(tmp_path: Path, *extra: str, admin_key: str | None = None, timeout: float = 60.0) -> RunningStack:
    api_port, aws_port = free_port(), free_port()
    admin_key = admin_key or secrets.token_urlsafe(24)
    log_path = tmp_path / f"guestlist-up-{api_port}.log"
    # the tests run on shared, loaded machines: function timeouts stretched x3 (the integration tier tests them as is)
    env = {"GUESTLIST_TIMEOUT_SCALE": "3", **os.environ, "GUESTLIST_ADMIN_KEY": admin_key, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    process = subprocess.Popen([str(GUESTLIST), "up", "--port", str(api_port), "--aws-port", str(aws_port), *extra],
                               cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{api_port}"
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"guestlist up exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{api}/health", timeout=5).status_code == 200 and "guestlist is up" in log_path.read_text():
                return RunningStack(api, f"http://127.0.0.1:{aws_port}", admin_key, process, log_path, time.monotonic() - started)
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy resuming work
            pass
        time.sleep(0.2)
    stop_stack(process)
    raise AssertionError(f"guestlist up did not serve within {timeout} s:\n{log_path.read_text()}")


def stop_stack(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()
    return process.returncode


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("stack"))
    yield stack
    stop_stack(stack.process)
