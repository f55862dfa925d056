"""HttpResolver routes exactly as Powertools' resolver does, compiling a route's pattern only when a request tries it."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from guestlist.api import HttpResolver, RoutePattern, install_error_handlers
from support.events import http_event

ROUTES = [("GET", "/health"), ("GET", "/events/<event_id>"), ("GET", "/events/<event_id>/contacts/<identifier>"),
          ("GET", "/events/mine"), ("POST", "/events/<event_id>"), ("DELETE", "/events/<event_id>/contacts/<identifier>")]
REQUESTS = [("GET", "/health"), ("GET", "/health/"), ("GET", "/events/e1"), ("GET", "/events/mine"),
            ("GET", "/events/e%201/contacts/a%40b.ch"), ("GET", "/events/e1/contacts/x/y"), ("GET", "/events/"),
            ("POST", "/events/e1"), ("POST", "/health"), ("DELETE", "/events/e1/contacts/c:1"), ("PATCH", "/events/e1"),
            ("GET", "/events/e1;x=1"), ("GET", "/nowhere")]


def _app(resolver_class):
    app = resolver_class()
    install_error_handlers(app)
    for method, rule in ROUTES:
        app.route(rule, method)(lambda rule=rule, **params: {"route": rule, "params": params})
    return app


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_answers_as_powertools_resolver(method, path):
    ours, theirs = _app(HttpResolver), _app(APIGatewayHttpResolver)
    event = http_event(method, path, path)
    mine, reference = ours.resolve(event, None), theirs.resolve(event, None)
    assert (mine["statusCode"], json.loads(mine["body"])) == (reference["statusCode"], json.loads(reference["body"]))


def test_patterns_compile_on_the_first_request_that_tries_them():
    app = _app(HttpResolver)
    patterns = [route.rule for route in app._static_routes + app._dynamic_routes]
    assert all(isinstance(p, RoutePattern) and p._compiled is None for p in patterns)

    app.resolve(http_event("GET", "/health", "/health"), None)

    compiled = {p._rule for p in patterns if p._compiled is not None}
    assert compiled == {"/health"}  # the first GET route matched: no other route's pattern was needed


def test_static_and_dynamic_routes_are_told_apart_without_compiling():
    assert RoutePattern("/events/mine", "^{}$").groups == 0
    assert RoutePattern("/events/<event_id>/contacts/<identifier>", "^{}$").groups == 2
