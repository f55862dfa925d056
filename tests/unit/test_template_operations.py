"""DESIGN.md s12 in the template: every function has a log group with retention and an Errors alarm;
every dead-letter and on-failure queue has a "holds messages" alarm and is in DeadLetterQueues; the
outputs name every table, bucket, queue and secret; uploads are not filtered by a case-sensitive suffix."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestlist_local.template import load_raw

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template():
    return load_raw(ROOT / "template.yaml")


def _of_type(template, rtype):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def _refs(node):
    """Every logical id a node refers to (Ref, GetAtt, ${X} in Sub)."""
    import re

    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".")[0]
            elif key == "Fn::Sub":
                yield from re.findall(r"\$\{([A-Za-z0-9]+)[}.]", value if isinstance(value, str) else value[0])
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _dead_letter_queues(template):
    queues = set()
    for res in template["Resources"].values():
        props = res.get("Properties") or {}
        if res["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in props:
            queues |= set(_refs(props["RedrivePolicy"]))
        for event in (props.get("Events") or {}).values():
            queues |= set(_refs(((event.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}))
        queues |= set(_refs(((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}))
    return queues


def test_every_asynchronously_invoked_function_keeps_what_it_failed_on(template):
    """S3 invokes asynchronously: without an on-failure destination Lambda drops the event after its retries."""
    for name, fn in _of_type(template, "AWS::Serverless::Function").items():
        if any(e["Type"] == "S3" for e in (fn["Properties"].get("Events") or {}).values()):
            on_failure = fn["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
            assert on_failure["Type"] == "SQS" and set(_refs(on_failure)) <= set(_of_type(template, "AWS::SQS::Queue")), name


def test_every_function_has_a_log_group_with_retention_and_an_errors_alarm(template):
    functions = set(_of_type(template, "AWS::Serverless::Function"))
    groups = {next(_refs(g["Properties"]["LogGroupName"])): g for g in _of_type(template, "AWS::Logs::LogGroup").values()}
    assert set(groups) == functions
    assert all(g["Properties"]["RetentionInDays"] for g in groups.values())
    errors = {next(_refs(a["Properties"]["Dimensions"])) for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
              if a["Properties"]["MetricName"] == "Errors"}
    assert errors == functions


def test_every_dead_letter_and_on_failure_queue_has_an_alarm_and_is_listed_for_the_admin(template):
    dlqs = _dead_letter_queues(template)
    assert {"WorkDeadLetterQueue", "ParkedQueue", "HistoryFailureQueue", "ReportDeadLetterQueue", "UploadFailureQueue"} <= dlqs
    watched = {next(_refs(a["Properties"]["Dimensions"])) for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
               if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"}
    assert dlqs <= watched
    assert set(_refs(template["Outputs"]["DeadLetterQueues"]["Value"])) == dlqs
    assert all("AlarmActions" in a["Properties"] for a in _of_type(template, "AWS::CloudWatch::Alarm").values())


def test_outputs_name_every_table_bucket_queue_and_secret(template):
    named = {r for out in template["Outputs"].values() for r in _refs(out["Value"])}
    for rtype in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SecretsManager::Secret"):
        assert set(_of_type(template, rtype)) <= named, rtype
    assert "ApiUrl" in template["Outputs"]


def test_upload_notifications_filter_on_the_prefix_only(template):
    for fn in _of_type(template, "AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "S3":
                rules = event["Properties"]["Filter"]["S3Key"]["Rules"]
                assert [r["Name"] for r in rules] == ["prefix"]
