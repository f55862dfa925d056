"""The edge refuses hostile bodies and queries with a 4xx naming the field, before any handler runs."""

from __future__ import annotations

import base64
import json
from typing import Annotated

import msgspec
import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from msgspec import Meta, Struct

from guestlist.api import install_error_handlers
from guestlist.edge import Edge, given
from guestlist.schemas.contacts import Limit
from guestlist.schemas.limits import Answers, Name, RequiredName
from support.events import http_event


class Inner(Struct, forbid_unknown_fields=True):
    note: Name | None = None


class Body(Struct, forbid_unknown_fields=True):
    name: RequiredName
    tags: list[Name] = []
    inner: Inner | None = None
    answers: Answers = {}
    size: int | msgspec.UnsetType = msgspec.UNSET


class Query(Struct, forbid_unknown_fields=True):
    limit: Limit = 100
    status: Annotated[str, Meta(pattern="^(open|accessed)$")] | None = None


app = APIGatewayHttpResolver()
install_error_handlers(app)
edge = Edge(app, auth=False)
seen: list = []


@edge.post("/things/<thing_id>", body=Body, status=201, form=True)
def create(thing_id: str, body: Body):
    seen.append((thing_id, body))
    return {"thing_id": thing_id, "given": given(body)}


@edge.get("/things", query=Query)
def listing(query: Query):
    return {"limit": query.limit, "status": query.status}


@pytest.fixture(autouse=True, scope="module")
def _forget_test_routes():
    """These routes are this test's, not the API's: keep them out of a document built later in the process."""
    yield
    from guestlist.edge import REGISTRY

    for key in [("POST", "/things/{thing_id}"), ("GET", "/things")]:
        REGISTRY.pop(key, None)


def call(body=None, *, raw: bytes | None = None, path="/things/t1", method="POST", query=None, headers=None):
    event = http_event(method, path, "/things/{thing_id}" if method == "POST" else "/things", body=body,
                       query=query, headers=headers, path_parameters={"thing_id": "t1"} if method == "POST" else None)
    if raw is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    response = app.resolve(event, None)
    return response["statusCode"], json.loads(response["body"])


def error_of(result):
    status, body = result
    return status, body["error"]["code"], body["error"].get("field")


def test_a_valid_body_reaches_the_handler_with_only_the_fields_sent():
    status, body = call({"name": "Ada", "answers": {"diet": "vegan", "guests": 2, "topics": ["a", "b"]}})
    assert status == 201
    assert body["given"] == {"name": "Ada", "tags": [], "inner": None, "answers": {"diet": "vegan", "guests": 2, "topics": ["a", "b"]}}


@pytest.mark.parametrize("raw", [b"\xff", b"[" * 100_000, b'{"name": "\\ud800"}', b"", b"null", b"[1]", b'"x"', b"{"],
                         ids=["byte-ff", "deep-array", "lone-surrogate", "empty", "null", "array", "string", "truncated"])
def test_bodies_that_are_not_a_utf8_json_object_are_400_invalid_json(raw):
    if raw == b"":
        assert error_of(call(raw=raw)) == (422, "invalid_field", "name")  # empty = {} = name missing
        return
    status, code, _ = error_of(call(raw=raw))
    assert (status, code) == (400, "invalid_json")


def test_nesting_deeper_than_32_levels_is_400_even_inside_a_known_field():
    deep = b'{"name": "x", "answers": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}"
    assert error_of(call(raw=deep))[:2] == (400, "invalid_json")


def test_brackets_inside_strings_do_not_count_as_nesting():
    status, _ = call({"name": "[" * 100})
    assert status == 201


def test_a_body_over_one_mebibyte_is_413():
    assert error_of(call(raw=b'{"name": "' + b"x" * (1 << 20) + b'"}'))[:2] == (413, "body_too_large")


def test_unknown_fields_are_422_naming_the_field_also_when_nested():
    assert error_of(call({"name": "A", "colour": "red"})) == (422, "unknown_field", "colour")
    assert error_of(call({"name": "A", "inner": {"oops": 1}})) == (422, "unknown_field", "inner.oops")


def test_strings_over_their_limit_are_422_too_long_naming_the_field():
    assert error_of(call({"name": "x" * 201})) == (422, "too_long", "name")
    assert error_of(call({"name": "A", "answers": {"a": "x" * 2001}}))[:2] == (422, "too_long")
    assert error_of(call({"name": "A", "answers": {f"f{i}": "x" for i in range(101)}}))[:2] == (422, "too_long")


def test_wrong_types_and_missing_fields_are_422_invalid_field_naming_it():
    assert error_of(call({"name": 5})) == (422, "invalid_field", "name")
    assert error_of(call({"tags": []})) == (422, "invalid_field", "name")
    assert error_of(call({"name": ""})) == (422, "invalid_field", "name")
    assert error_of(call({"name": "A", "size": True})) == (422, "invalid_field", "size")


def test_a_refused_body_never_reaches_the_handler():
    before = len(seen)
    call({"name": "A", "colour": "red"})
    call(raw=b"\xff")
    assert len(seen) == before


def test_form_posts_are_validated_like_json():
    status, body = call("name=Z%C3%BCrich", headers={"content-type": "application/x-www-form-urlencoded"})
    assert status == 201 and body["given"]["name"] == "Zürich"
    assert error_of(call("name=x&colour=red", headers={"content-type": "application/x-www-form-urlencoded"}))[:2] == (422, "unknown_field")


@pytest.mark.parametrize("query, field", [({"limit": "-1"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"),
                                          ({"status": "bogus"}, "status"), ({"colour": "red"}, "colour")])
def test_query_parameters_out_of_range_or_unknown_are_422_naming_them(query, field):
    status, _code, named = error_of(call(method="GET", path="/things", query=query))
    assert (status, named) == (422, field)


def test_query_parameters_are_converted_to_their_types():
    assert call(method="GET", path="/things", query={"limit": "20", "status": "open"}) == (200, {"limit": 20, "status": "open"})
