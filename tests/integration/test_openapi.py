"""The OpenAPI document: generated from the handlers' declared contracts, valid OpenAPI 3.1, covering
exactly the template's routes, with the template's security and our error shape on every failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def document() -> dict:
    out = subprocess.run([str(Path(sys.executable).parent / "guestlist"), "openapi"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def routes():
    from guestlist_local.template import load_topology

    return load_topology(ROOT / "template.yaml").routes


def _operations(document):
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            yield method, path, op


def test_document_is_valid_openapi_3_1(document):
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_document_covers_every_template_route_and_no_other(document, routes):
    from guestlist_local.openapi import documented_routes

    assert documented_routes(document) == {(r.method.lower(), r.path) for r in routes}


def test_every_route_declares_its_contract_or_the_document_is_refused(tmp_path):
    """A template route whose handler declares no contract fails `guestlist openapi` (no placeholder)."""
    template = (ROOT / "template.yaml").read_text()
    extra = '        Undeclared: {Type: HttpApi, Properties: {ApiId: !Ref Api, Method: GET, Path: "/events/{event_id}/nowhere"}}\n'
    anchor = "        CreateEvent: {Type: HttpApi"
    path = ROOT / f".test-template-{tmp_path.name}.yaml"  # beside the real one: CodeUri paths are relative
    path.write_text(template.replace(anchor, extra + anchor, 1))
    try:
        out = subprocess.run([str(Path(sys.executable).parent / "guestlist"), "openapi", "--template", str(path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    finally:
        path.unlink()
    assert out.returncode != 0
    assert "GET /events/{event_id}/nowhere" in out.stdout + out.stderr


def test_security_matches_the_template_authorizer(document, routes):
    for route in routes:
        op = document["paths"][route.path][route.method.lower()]
        assert ("security" in op) == bool(route.authorizer), route.route_key
        if route.authorizer:
            assert {"401", "403"} <= set(op["responses"]), route.route_key


def _schemas_of(document, schema) -> list[str]:
    """The component names a response schema allows (through anyOf)."""
    if "$ref" in schema:
        return [schema["$ref"].rsplit("/", 1)[-1]]
    return [name for alternative in schema.get("anyOf", []) for name in _schemas_of(document, alternative)]


def test_every_failure_answer_has_the_error_shape(document):
    """4xx of our functions: {"error": {"code", "message", "field"?}}; only the gateway's 401/403 differ."""
    components = document["components"]["schemas"]
    error = components["ErrorBody"]
    assert error["required"] == ["error"]
    assert set(components["Error"]["required"]) == {"code", "message"} and "field" in components["Error"]["properties"]
    for method, path, op in _operations(document):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            names = _schemas_of(document, response["content"]["application/json"]["schema"])
            assert names, (method, path, status)
            for name in names:
                if name == "GatewayMessage":
                    assert status in ("401", "403"), (method, path, status)
                else:
                    assert "error" in components[name].get("required", []), (method, path, status, name)


def test_every_body_and_query_is_declared_with_limits(document):
    """Every request body is an object schema of the edge; list queries refuse unknown statuses by enum."""
    for method, path, op in _operations(document):
        if method in ("post", "patch", "put") and "requestBody" in op:
            for status in ("400", "413", "422"):
                assert status in op["responses"], (method, path, status)
    contacts = document["paths"]["/events/{event_id}/contacts"]["get"]
    params = {p["name"]: p["schema"] for p in contacts["parameters"]}
    assert set(params) >= {"status", "group", "q", "permission_group", "cursor", "limit"}
    status = params["status"]
    assert any("enum" in alt for alt in status.get("anyOf", [status]))
    assert params["limit"]["minimum"] == 1
