"""Lambda's isolation: one invocation at a time per instance, no module state or logger keys shared between
concurrent invocations or functions, and the template's Timeout enforced (the invocation fails; SQS redelivers)."""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
import requests

from .conftest import build_template, recorded, stack_at

# module state and Powertools logger keys as real handlers keep them; a query parameter makes the call slow
_REPORTER = """
import json, os, time
from aws_lambda_powertools import Logger

logger = Logger()
STATE = {}


def lambda_handler(event, context):
    mine = (event.get("pathParameters") or {}).get("token") or (event.get("queryStringParameters") or {}).get("tag")
    logger.append_keys(who=f"{context.function_name}:{mine}")
    STATE["mine"] = mine
    time.sleep(float((event.get("queryStringParameters") or {}).get("sleep", 0)))
    body = {"state": STATE["mine"], "who": logger.get_current_keys().get("who"), "pid": os.getpid(),
            "left_ms": context.get_remaining_time_in_millis()}
    return {"statusCode": 200, "body": json.dumps(body)}
"""

_SLOW_ONCE = """

def lambda_handler(event, context):
    record(event)
    import time
    if any(r["body"] == "slow" and r["attributes"]["ApproximateReceiveCount"] == "1" for r in event["Records"]):
        time.sleep(20)  # past the function's Timeout of 1 s: the instance is ended, the batch returns
"""


def _tweak(tpl):
    res = tpl["Resources"]
    res["WorkQueue"]["Properties"]["VisibilityTimeout"] = 1
    res["WorkQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 5
    res["GuestApiFunction"]["Properties"]["Timeout"] = 6
    res["UpsertWorkerFunction"]["Properties"]["Timeout"] = 1


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    template = build_template(root, _tweak)
    for name in ("GuestApiFunction", "OrganiserApiFunction"):
        (root / "functions" / name / "app.py").write_text(_REPORTER)
    worker = root / "functions" / "UpsertWorkerFunction" / "app.py"
    worker.write_text(worker.read_text().split("def lambda_handler")[0] + _SLOW_ONCE)
    yield from stack_at(root, template)


def test_concurrent_invocations_share_no_module_state_or_logger_keys(isolated):
    api = isolated.api_url
    calls = [("GuestApiFunction", f"g{i}", f"{api}/e/g{i}?sleep=0.4", {}) for i in range(3)]
    calls += [("OrganiserApiFunction", f"o{i}", f"{api}/events?tag=o{i}&sleep=0.4", {"Authorization": "good-key"})
              for i in range(3)]
    answers: dict[str, dict] = {}

    def call(fn: str, mine: str, url: str, headers: dict) -> None:
        response = requests.get(url, headers=headers, timeout=30)
        answers[mine] = {"status": response.status_code, **response.json()}

    threads = [threading.Thread(target=call, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 6
    for fn, mine, _, _ in calls:
        answer = answers[mine]
        assert answer["status"] == 200
        assert answer["state"] == mine  # no other invocation overwrote this one's module state
        assert answer["who"] == f"{isolated.topology.functions[fn].name}:{mine}"  # nor its logger keys
    # three slow calls of one function at once ran in three instances (one invocation at a time each)
    assert len({answers[f"g{i}"]["pid"] for i in range(3)}) == 3
    assert all(0 < answers[m]["left_ms"] <= 6000 for m in ("g0", "g1", "g2"))  # the context counts down from Timeout


def test_an_http_invocation_past_its_timeout_fails_and_the_next_one_gets_a_fresh_instance(isolated):
    api = isolated.api_url
    slow = requests.get(f"{api}/e/slow?sleep=30", timeout=30)
    assert slow.status_code == 500  # API Gateway's answer to a function that timed out
    after = requests.get(f"{api}/e/next", timeout=30)
    assert after.status_code == 200 and after.json()["state"] == "next"


def test_an_sqs_batch_past_its_timeout_is_redelivered(isolated):
    sqs = boto3.client("sqs", endpoint_url=isolated.endpoint_url, region_name="us-east-1")
    sqs.send_message(QueueUrl=isolated.topology.queues["WorkQueue"].url, MessageBody="slow")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        counts = [r["attributes"]["ApproximateReceiveCount"] for e in recorded(isolated.root, "UpsertWorkerFunction")
                  for r in e["Records"] if r["body"] == "slow"]
        if "2" in counts:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the timed-out batch was not redelivered: {counts}")
    assert isolated.wait_idle(60)  # the second delivery finished in time and deleted the message
    assert json.loads(json.dumps(counts))[0] == "1"
