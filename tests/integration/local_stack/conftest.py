"""A copy of template.yaml wired to recording test handlers, and local stacks started from it on free ports."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from guestlist_local.stack import LocalStack
from guestlist_local.template import load_raw
from support.network import free_port

REPO = Path(__file__).resolve().parents[3]

# Every test handler records each event it receives as one JSON file, then behaves as below.
_RECORD = """
import json, os, uuid
from pathlib import Path

RECORDS = Path({records!r}) / {name!r}


def record(event):
    RECORDS.mkdir(parents=True, exist_ok=True)
    tmp = RECORDS / (uuid.uuid4().hex + ".tmp")
    tmp.write_text(json.dumps(event))
    tmp.rename(tmp.with_suffix(".json"))
"""

BEHAVIOUR = {
    # HTTP handlers echo what they saw; a path parameter "boom" makes them raise
    "http": """
def lambda_handler(event, context):
    record(event)
    if "boom" in (event.get("pathParameters") or {}).values():
        raise RuntimeError("boom")
    return {"statusCode": 201, "headers": {"x-fn": context.function_name}, "cookies": ["a=1", "b=2"],
            "body": json.dumps({"routeKey": event["routeKey"], "authorizer": event["requestContext"].get("authorizer")})}
""",
    "AuthorizerFunction": """
def lambda_handler(event, context):
    record(event)
    ok = event["headers"].get("authorization") == "good-key"
    return {"isAuthorized": ok, "context": {"workspace": "default", "scope": "organiser"}}
""",
    # SQS consumers report every message whose body starts with "fail" as failed
    "sqs": """
def lambda_handler(event, context):
    record(event)
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"].startswith("fail")]}
""",
    "sqs_ok": """
def lambda_handler(event, context):
    record(event)
""",
    # the stream consumer raises on any batch holding an item with a "poison" attribute
    "HistoryFunction": """
def lambda_handler(event, context):
    record(event)
    if any("poison" in (r["dynamodb"].get("NewImage") or {}) for r in event["Records"]):
        raise RuntimeError("poison record")
    return {"batchItemFailures": []}
""",
    # the import function fails on uploads named "boom..." while the file fail-uploads exists beside the records
    "ImportFunction": """
def lambda_handler(event, context):
    record(event)
    key = event["Records"][0]["s3"]["object"]["key"]
    if "/boom" in key and (RECORDS.parent.parent / "fail-uploads").exists():
        raise RuntimeError("cannot read the upload")
""",
}

KIND = {"UpsertWorkerFunction": "sqs", "ImportFailuresFunction": "sqs_ok"}



def build_template(root: Path, tweak: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """template.yaml with every function's code replaced by a recording handler under root."""
    tpl = load_raw(REPO / "template.yaml")
    records = root / "records"
    layer = root / "layer"
    layer.mkdir(parents=True, exist_ok=True)
    for logical_id, res in tpl["Resources"].items():
        if res["Type"] == "AWS::Serverless::LayerVersion":
            res["Properties"]["ContentUri"] = str(layer)
        if res["Type"] != "AWS::Serverless::Function":
            continue
        code = root / "functions" / logical_id
        code.mkdir(parents=True, exist_ok=True)
        events = res["Properties"].get("Events") or {}
        kind = logical_id if logical_id in BEHAVIOUR else KIND.get(logical_id, "http" if any(
            e["Type"] == "HttpApi" for e in events.values()) else "ImportFunction")
        module = code / (res["Properties"]["Handler"].rsplit(".", 1)[0].replace(".", "/") + ".py")  # docs.app -> docs/app.py
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(textwrap.dedent(_RECORD.format(records=str(records), name=logical_id)) + BEHAVIOUR[kind])
        res["Properties"]["CodeUri"] = str(code)
    if tweak:
        tweak(tpl)
    path = root / "template.yaml"
    path.write_text(json.dumps(tpl, indent=1))  # JSON is YAML
    return path


def recorded(root: Path, function: str) -> list[dict[str, Any]]:
    folder = root / "records" / function
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text()) for p in files]


def start_stack(template: Path, **kwargs: Any) -> LocalStack:
    return LocalStack(template, aws_port=free_port(), http_port=free_port(), **kwargs).start()


def stack_at(root: Path, template: Path) -> Iterator[LocalStack]:
    """For a module fixture (`yield from`): a started stack whose `root` holds its template and the
    test handlers' records, stopped when the module is done, also after a failure."""
    stack = start_stack(template)
    stack.root = root
    try:
        yield stack
    finally:
        stack.stop()


def fast_failures(tpl: dict[str, Any]) -> None:
    """Failed messages return after 1 s and reach the DLQ after 2 receives; streams retry twice."""
    res = tpl["Resources"]
    res["WorkQueue"]["Properties"]["VisibilityTimeout"] = 1
    res["WorkQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 2
    res["HistoryFunction"]["Properties"]["Events"]["ContactChanges"]["Properties"]["MaximumRetryAttempts"] = 2


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    yield from stack_at(root, build_template(root, fast_failures))
