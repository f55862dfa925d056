"""The local stack has no resource list of its own: it builds exactly what the template says."""

from __future__ import annotations

import boto3
import pytest

from guestlist_local.gateway import Router
from guestlist_local.template import Route, TemplateError, load_topology

from .conftest import build_template, start_stack


def test_a_queue_and_table_added_to_the_template_exist_and_changed_attributes_apply(tmp_path):
    def tweak(tpl):
        res = tpl["Resources"]
        res["WorkQueue"]["Properties"]["VisibilityTimeout"] = 42
        res["ExtraQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 7, "DelaySeconds": 2}}
        res["ExtraTable"] = {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}
        tpl["Globals"]["Function"]["Environment"]["Variables"]["EXTRA_QUEUE_URL"] = {"Ref": "ExtraQueue"}

    with start_stack(build_template(tmp_path, tweak)) as stack:
        sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name="us-east-1")
        work = sqs.get_queue_attributes(QueueUrl=stack.physical("WorkQueue"), AttributeNames=["VisibilityTimeout"])
        assert work["Attributes"]["VisibilityTimeout"] == "42"
        extra = sqs.get_queue_attributes(QueueUrl=stack.physical("ExtraQueue"), AttributeNames=["All"])["Attributes"]
        assert (extra["VisibilityTimeout"], extra["DelaySeconds"]) == ("7", "2")
        ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url, region_name="us-east-1")
        assert ddb.describe_table(TableName=stack.physical("ExtraTable"))["Table"]["KeySchema"][0]["AttributeName"] == "id"
        import os

        assert os.environ["EXTRA_QUEUE_URL"] == stack.physical("ExtraQueue")  # handlers see the new wiring too


@pytest.mark.parametrize("resource, message", [
    ({"Type": "AWS::Kinesis::Stream", "Properties": {}}, "Surprise: resource type AWS::Kinesis::Stream"),
    ({"Type": "AWS::SQS::Queue", "Properties": {"RedriveAllowPolicy": {}}}, "Surprise (AWS::SQS::Queue): the local stack cannot run property RedriveAllowPolicy"),
])
def test_anything_the_local_stack_cannot_run_fails_loudly_naming_the_resource(tmp_path, resource, message):
    path = build_template(tmp_path, lambda tpl: tpl["Resources"].__setitem__("Surprise", resource))
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_topology(path)


def test_functions_with_different_environments_are_refused(tmp_path):
    def tweak(tpl):
        tpl["Resources"]["HistoryFunction"]["Properties"]["Environment"] = {"Variables": {"ONLY_HERE": "1"}}

    topology = load_topology(build_template(tmp_path, tweak))
    with pytest.raises(TemplateError, match="ONLY_HERE"):
        topology.shared_environment()


def test_routes_prefer_literal_segments_over_parameters_and_parameters_over_greedy_paths():
    router = Router([
        Route("GET", "/events/{event_id}", "Param", None),
        Route("GET", "/events/latest", "Literal", None),
        Route("ANY", "/{proxy+}", "Greedy", None),
        Route("POST", "/events/{event_id}/checkins/batch", "Batch", None),
    ])
    assert router.match("GET", "/events/latest")[0].function == "Literal"
    assert router.match("GET", "/events/e%201") == (Route("GET", "/events/{event_id}", "Param", None), {"event_id": "e 1"})
    assert router.match("POST", "/events/e1/checkins/batch")[0].function == "Batch"
    greedy = router.match("DELETE", "/a/b/c")
    assert greedy[0].function == "Greedy" and greedy[1] == {"proxy": "a/b/c"}
    assert Router([Route("GET", "/health", "H", None)]).match("POST", "/health") is None


def test_a_port_in_use_is_a_clear_error_before_anything_starts(tmp_path):
    import socket

    from guestlist_local.provision import PortInUseError
    from guestlist_local.stack import LocalStack
    from support.network import free_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port} \\(HTTP API\\) is already in use"):
            LocalStack(build_template(tmp_path), http_port=port, aws_port=free_port()).start()
