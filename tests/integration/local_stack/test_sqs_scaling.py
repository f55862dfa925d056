"""SQS event source mappings scale out like Lambda's: several batches of one queue run at once, each in its
own instance, at most ScalingConfig.MaximumConcurrency of them; every message is still delivered once."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest

from .conftest import build_template, recorded, stack_at

# Each invocation notes when it ran, after holding until another one runs beside it (or 5 s went by):
# batches delivered one after the other would never overlap.
_OVERLAPPING = """

def lambda_handler(event, context):
    record(event)
    import time
    spans = RECORDS.parent.parent / "spans"
    spans.mkdir(parents=True, exist_ok=True)
    me = spans / (uuid.uuid4().hex + ".open")
    start = time.time()
    me.write_text("")
    while time.time() < start + 5 and len(list(spans.glob("*.open"))) < 2:
        time.sleep(0.02)
    time.sleep(0.2)
    end = time.time()
    me.unlink()
    (spans / (me.stem + ".json")).write_text(json.dumps({"start": start, "end": end,
                                                         "bodies": [r["body"] for r in event["Records"]]}))
"""


def _tweak(tpl):
    events = tpl["Resources"]["UpsertWorkerFunction"]["Properties"]["Events"]
    work = next(e for e in events.values() if e["Type"] == "SQS")
    work["Properties"]["BatchSize"] = 1
    work["Properties"]["ScalingConfig"] = {"MaximumConcurrency": 2}
    tpl["Resources"]["UpsertWorkerFunction"]["Properties"]["Timeout"] = 30


@pytest.fixture(scope="module")
def scaling(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaling")
    template = build_template(root, _tweak)
    worker = root / "functions" / "UpsertWorkerFunction" / "app.py"
    worker.write_text(worker.read_text().split("def lambda_handler")[0] + _OVERLAPPING)
    yield from stack_at(root, template)


def test_batches_of_one_queue_run_side_by_side_up_to_the_mappings_maximum_concurrency(scaling):
    assert scaling.topology.mappings and scaling.pump.sqs_concurrency(
        next(m for m in scaling.topology.mappings if m.function == "UpsertWorkerFunction")) == 2
    sqs = boto3.client("sqs", endpoint_url=scaling.endpoint_url, region_name="us-east-1")
    tag = uuid.uuid4().hex
    bodies = [f"{tag}-{i}" for i in range(6)]
    sqs.send_message_batch(QueueUrl=scaling.topology.queues["WorkQueue"].url,
                           Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    spans: list[dict] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(spans) < len(bodies):
        spans = [json.loads(p.read_text()) for p in (scaling.root / "spans").glob("*.json")]
        time.sleep(0.1)
    assert scaling.wait_idle(60)

    delivered = [r["body"] for e in recorded(scaling.root, "UpsertWorkerFunction") for r in e["Records"]]
    assert sorted(delivered) == sorted(bodies)  # each message once, each alone (BatchSize 1)
    edges = sorted([(s["start"], 1) for s in spans] + [(s["end"], -1) for s in spans])
    running, most = 0, 0
    for _, step in edges:
        running += step
        most = max(most, running)
    assert most == 2  # side by side, never more than MaximumConcurrency
