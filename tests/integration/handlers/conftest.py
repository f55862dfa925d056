"""Handlers on moto with real event shapes: one moto server per test worker, resources from template.yaml."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import msgspec
import pytest

from support.network import free_port

ROOT = Path(__file__).resolve().parents[3]



@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/test"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class Stack:
    """The provisioned emulator plus the template's handlers, called like Lambda calls them."""

    def __init__(self, topology, endpoint_url: str):
        self.topology = topology
        self.endpoint_url = endpoint_url
        self._modules = {}

    def handler(self, logical_id: str):
        if logical_id not in self._modules:
            from guestlist_local.runtime import load_module

            fn = self.topology.functions[logical_id]
            module = load_module(fn, f"handler_{logical_id}")
            self._modules[logical_id] = getattr(module, fn.handler_name)
        return self._modules[logical_id]

    def invoke(self, logical_id: str, event: dict):
        return self.handler(logical_id)(event, LambdaContext(function_name=logical_id, aws_request_id=uuid.uuid4().hex))

    def http(self, logical_id: str, event: dict) -> tuple[int, dict | str, dict]:
        response = self.invoke(logical_id, event)
        body = response.get("body") or ""
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        if "json" in headers.get("content-type", ""):
            body = json.loads(body)
        return response["statusCode"], body, headers

    def physical(self, logical_id: str) -> str:
        return self.topology.physical(logical_id)


@pytest.fixture(scope="session")
def stack():
    """The local stack's emulator (moto in this process, with its concurrency fixes) and the
    template's resources; handlers are called directly with real event shapes."""
    from guestlist_local.provision import Emulator, Provisioner, apply_environment
    from guestlist_local.template import load_topology

    emulator = Emulator("127.0.0.1", free_port())
    emulator.start()
    topology = load_topology(ROOT / "template.yaml")
    provisioned = Provisioner(topology, emulator.endpoint_url).create()
    topology = load_topology(ROOT / "template.yaml", physical=provisioned.physical)
    apply_environment(emulator.endpoint_url, topology)
    yield Stack(topology, emulator.endpoint_url)
    emulator.stop()


@pytest.fixture
def workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def organiser(stack, workspace):
    """An organiser key of a fresh workspace, as the authorizer would resolve it."""
    from guestlist.keys import ensure_organiser_key, resolve_key

    key = f"org_{uuid.uuid4().hex}"
    ensure_organiser_key(workspace, key)
    return {"key": key, "scope": resolve_key(key).as_context()}


@pytest.fixture
def empty_queues(stack):
    """Every test starts (and must end) with empty import queues, so it can count what it sent."""
    sqs = boto3.client("sqs")
    for name in ("WorkQueue", "WorkDeadLetterQueue", "ParkedQueue", "ReportQueue"):
        url = stack.physical(name)
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
            for m in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    yield


@pytest.fixture
def chunk_size(monkeypatch):
    """Small chunks, so small files still make several chunks (and batches of chunks)."""
    import guestlist.imports.fan_out as fan_out

    def set_size(n: int) -> None:
        settings = msgspec.structs.replace(fan_out.get_settings(), import_chunk_size=n)
        monkeypatch.setattr(fan_out, "get_settings", lambda: settings)

    return set_size


@pytest.fixture(scope="module")
def verified_sender(stack):
    from guestlist_local.outbox import ensure_sender_verified

    return ensure_sender_verified(stack.endpoint_url)
