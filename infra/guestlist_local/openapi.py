"""The HTTP API's OpenAPI document, generated from the handlers' own Powertools routes.

Each API function declares its routes with `guestlist.edge` (schemas included); importing
the functions the template wires to the HTTP API registers them, and `guestlist.openapi`
turns the declarations into one document. Nothing is written by hand, so it cannot drift.
"""

from __future__ import annotations

from pathlib import Path

from guestlist.edge import REGISTRY
from guestlist.openapi import build_document

from .runtime import load_module
from .template import Topology, load_topology


def _app_of(fn) -> object:
    return load_module(fn, f"guestlist_openapi_{fn.logical_id}").app


def build(topology: Topology, server_url: str | None = None) -> dict:
    """One document for every route of the template's HTTP API, from the handlers' declared contracts."""
    for logical_id in sorted({r.function for r in topology.routes}):
        _app_of(topology.functions[logical_id])  # importing a handler declares its routes
    declared = {(method.lower(), path): c for (method, path), c in REGISTRY.items()}
    missing = sorted(f"{r.method.upper()} {r.path}" for r in topology.routes if (r.method.lower(), r.path) not in declared)
    if missing:
        raise UndeclaredRoutes("routes of the template without a contract declared with guestlist.edge: " + ", ".join(missing))
    return build_document([declared[(r.method.lower(), r.path)] for r in topology.routes], server_url=server_url)


class UndeclaredRoutes(Exception):
    """A template route whose handler does not declare its contract: the document would lie about it."""


def template_routes(topology: Topology) -> set[tuple[str, str]]:
    return {(r.method.lower(), r.path) for r in topology.routes}


def documented_routes(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def build_from_template(template: Path, server_url: str | None = None) -> dict:
    return build(load_topology(template), server_url)
