"""The HTTP API's OpenAPI document, generated from the handlers' own Powertools routes.

Each API function resolves its routes with Powertools, which describes them in OpenAPI;
this merges the functions the template wires to the HTTP API into one document and marks
the routes that need a key. Nothing is written by hand, so it cannot drift from the code.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from .template import Topology, load_topology

_PLACEHOLDER_ENV = {"AWS_DEFAULT_REGION": "us-east-1"}


def _app_of(fn) -> object:
    spec = importlib.util.spec_from_file_location(f"guestlist_openapi_{fn.logical_id}", fn.module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def build(topology: Topology, server_url: str | None = None) -> dict:
    """One document for every route of the template's HTTP API."""
    for name, value in {**_PLACEHOLDER_ENV, **topology.shared_environment()}.items():
        os.environ.setdefault(name, value)  # handlers read their settings at import; nothing is called
    protected = {(r.method.lower(), r.path) for r in topology.routes if r.authorizer}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "guestlist", "version": "1.0",
                 "description": "Event guest lists: personal links for guests, check-in for door staff, "
                                "events, contacts and imports for organisers. Errors are "
                                '{"error": {"code", "message"}}.'},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {
            "key": {"type": "http", "scheme": "bearer",
                    "description": "An organiser key (one workspace) or a check-in key (one event's check-in routes)."}}},
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    for logical_id in sorted({r.function for r in topology.routes}):
        spec = json.loads(_app_of(topology.functions[logical_id]).get_openapi_json_schema(title="guestlist"))
        document["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                operation.setdefault("tags", [logical_id.removesuffix("Function")])
                if (method, path) in protected:
                    operation["security"] = [{"key": []}]
                document["paths"].setdefault(path, {})[method] = operation
    return document


def template_routes(topology: Topology) -> set[tuple[str, str]]:
    return {(r.method.lower(), r.path) for r in topology.routes}


def documented_routes(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def build_from_template(template: Path, server_url: str | None = None) -> dict:
    return build(load_topology(template), server_url)
