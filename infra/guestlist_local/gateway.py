"""The HTTP API: routes requests like API Gateway HTTP APIs and calls handlers with payload format 2.0 events."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote

from guestlist.tokens import redact

from .provision import PortInUseError
from .runtime import FunctionRuntime
from .template import Authorizer, Route, Topology

log = logging.getLogger("guestlist_local")

_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded|x-yaml|yaml|graphql)|.*\+(json|xml))$", re.I)


_PHRASES = {s.value for s in HTTPStatus}


def _not_found() -> tuple[int, dict[str, str], list[str], bytes]:
    return _json_error(404, "Not Found")


def _json_error(status: int, message: str) -> tuple[int, dict[str, str], list[str], bytes]:
    return status, {"content-type": "application/json"}, [], json.dumps({"message": message}).encode()


class Router:
    """Literal segments beat {param}, {param} beats {proxy+}; the method must match (or the route is ANY)."""

    def __init__(self, routes: list[Route]):
        self.routes = [(r, [s for s in r.path.strip("/").split("/") if s]) for r in routes]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = [s for s in path.strip("/").split("/") if s] if path.strip("/") else []
        best = None
        for route, pattern in self.routes:
            if route.method not in (method, "ANY"):
                continue
            params = self._match(pattern, segments)
            if params is None:
                continue
            score = (tuple(2 if not p.startswith("{") else 0 if p.endswith("+}") else 1 for p in pattern),
                     route.method != "ANY")
            if best is None or score > best[0]:
                best = (score, route, params)
        return (best[1], best[2]) if best else None

    @staticmethod
    def _match(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for i, p in enumerate(pattern):
            if p.startswith("{") and p.endswith("+}"):
                if i >= len(segments):
                    return None
                params[p[1:-2]] = unquote("/".join(segments[i:]))
                return params
            if i >= len(segments):
                return None
            if p.startswith("{") and p.endswith("}"):
                params[p[1:-1]] = unquote(segments[i])
            elif p != segments[i]:
                return None
        return params if len(pattern) == len(segments) else None


class HttpGateway:
    def __init__(self, topology: Topology, runtime: FunctionRuntime, host: str, port: int,
                 ready: threading.Event | None = None):
        self.topo = topology
        self.ready = ready  # until set, /health answers 503: keys or demo data are not in place yet
        self.runtime = runtime
        self.host, self.port = host, port
        self.router = Router(topology.routes)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._auth_cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any] | None]] = {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # waitress: an event loop accepts and buffers every connection (backlog 1024), a thread pool runs the
    # requests; the standard library's server had a backlog of 5 and reset clients under load
    THREADS = 16
    CONNECTION_LIMIT = 1000

    def start(self) -> None:
        from waitress import wasyncore
        from waitress.server import create_server

        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is the design, not news
        try:
            self._server = create_server(self._wsgi, host=self.host, port=self.port, threads=self.THREADS,
                                         connection_limit=self.CONNECTION_LIMIT, backlog=1024, channel_timeout=300,
                                         ident="guestlist-local", clear_untrusted_proxy_headers=False)
        except OSError:
            raise PortInUseError(f"port {self.host}:{self.port} (HTTP API) is already in use; stop the other "
                                 "process or pick another port") from None
        self._close_all = wasyncore.close_all
        self._thread = threading.Thread(target=self._server.run, name="http-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.task_dispatcher.shutdown(timeout=5)
            self._close_all(server._map)  # the listening socket and every open connection: run() returns
            if self._thread is not None:
                self._thread.join(10)

    # request -> event -> response -----------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        target = environ.get("REQUEST_URI") or (environ.get("PATH_INFO", "/") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        raw_headers = [(k[5:].replace("_", "-").lower(), v) for k, v in environ.items() if k.startswith("HTTP_")]
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                raw_headers.append((key.replace("_", "-").lower(), environ[key]))
        try:
            status, headers, cookies, payload = self.handle(
                method, target, raw_headers, body, environ.get("REMOTE_ADDR", "127.0.0.1"), environ.get("SERVER_PROTOCOL", "HTTP/1.1"))
        except Exception:
            log.exception("gateway error on %s %s", method, redact(target))
            status, headers, cookies, payload = _json_error(500, "Internal Server Error")
        out = [(name, value) for name, value in headers.items()
               if name.lower() not in ("content-length", "connection", "transfer-encoding")]
        out.extend(("Set-Cookie", cookie) for cookie in cookies)
        out.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {HTTPStatus(status).phrase if status in _PHRASES else 'Status'}", out)
        log.debug("http %s %s %s", method, redact(target), status)
        return [b""] if method == "HEAD" else [payload]

    def handle(self, method: str, target: str, raw_headers: list[tuple[str, str]], body: bytes,
               source_ip: str = "127.0.0.1", protocol: str = "HTTP/1.1") -> tuple[int, dict[str, str], list[str], bytes]:
        """One request: (status, headers, set-cookies, body). Public so tests can drive it without sockets."""
        path, _, raw_query = target.partition("?")
        if path == "/health" and self.ready is not None and not self.ready.is_set():
            return _json_error(503, "Starting")
        matched = self.router.match(method, path)
        if matched is None:
            return _not_found()
        route, path_params = matched
        event = self._event(method, path, raw_query, raw_headers, body, source_ip, protocol, route, path_params)
        if route.authorizer:
            verdict = self._authorize(self.topo.authorizers[route.authorizer], route, event)
            if isinstance(verdict, tuple):
                return verdict
            event["requestContext"]["authorizer"] = {"lambda": verdict}
        try:
            result = self.runtime.invoke(route.function, event)
        except Exception:
            log.exception("%s raised on %s", route.function, event["routeKey"])
            return _json_error(500, "Internal Server Error")
        return self._response(result)

    def _event(self, method: str, path: str, raw_query: str, raw_headers: list[tuple[str, str]], body: bytes,
               source_ip: str, protocol: str, route: Route, path_params: dict[str, str]) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in raw_headers:
            lname = name.lower()
            if lname == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
                continue
            headers[lname] = f"{headers[lname]},{value}" if lname in headers else value
        headers.setdefault("x-forwarded-for", source_ip)
        headers.setdefault("x-forwarded-proto", "http")
        headers.setdefault("x-forwarded-port", str(self.port))
        headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        now = time.time()
        host = headers.get("host", f"{self.host}:{self.port}")
        request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:16]
        request_context: dict[str, Any] = {
            "accountId": self.topo.account_id,
            "apiId": self.topo.api_id,
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {"method": method, "path": path, "protocol": protocol, "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        }
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": path,
            "rawQueryString": raw_query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if query:
            event["queryStringParameters"] = query
        event["requestContext"] = request_context
        if path_params:
            event["pathParameters"] = path_params
        if body:
            content_type = headers.get("content-type", "").split(";")[0].strip()
            if content_type and not _TEXT_TYPES.match(content_type):
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
            else:
                try:
                    event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
                except UnicodeDecodeError:
                    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["isBase64Encoded"] = False
        return event

    def _authorize(self, auth: Authorizer, route: Route, event: dict[str, Any]):
        """The authorizer's context, or a ready (status, headers, cookies, body) refusal."""
        values: list[str] = []
        for source in auth.identity_sources:
            _, kind, name = source.split(".", 2)
            value = event["headers"].get(name.lower()) if kind == "header" else (event.get("queryStringParameters") or {}).get(name)
            if not value:
                return _json_error(401, "Unauthorized")  # API Gateway does not call the authorizer
            values.append(value)
        cache_key = (auth.name, tuple(values))
        cached = self._auth_cache.get(cache_key)
        if auth.ttl_seconds > 0 and cached and cached[0] > time.monotonic():
            context = cached[1]
        else:
            auth_event = {
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": f"arn:aws:execute-api:{self.topo.region}:{self.topo.account_id}:{self.topo.api_id}"
                            f"/$default/{event['requestContext']['http']['method']}{event['rawPath']}",
                "identitySource": values,
                "routeKey": event["routeKey"],
                "rawPath": event["rawPath"],
                "rawQueryString": event["rawQueryString"],
                **({"cookies": event["cookies"]} if "cookies" in event else {}),
                "headers": event["headers"],
                **({"queryStringParameters": event["queryStringParameters"]} if "queryStringParameters" in event else {}),
                "requestContext": event["requestContext"],
                **({"pathParameters": event["pathParameters"]} if "pathParameters" in event else {}),
            }
            try:
                result = self.runtime.invoke(auth.function, auth_event)
            except Exception:
                log.exception("authorizer %s raised", auth.function)
                return _json_error(500, "Internal Server Error")
            context = self._auth_verdict(auth, result)
            if auth.ttl_seconds > 0:
                self._auth_cache[cache_key] = (time.monotonic() + auth.ttl_seconds, context)
        if context is None:
            return _json_error(403, "Forbidden")
        return context

    @staticmethod
    def _auth_verdict(auth: Authorizer, result: Any) -> dict[str, Any] | None:
        if not isinstance(result, dict):
            log.error("authorizer %s returned %r, not an object: refused", auth.function, type(result).__name__)
            return None
        if auth.simple_responses:
            return dict(result.get("context") or {}) if result.get("isAuthorized") is True else None
        statements = ((result.get("policyDocument") or {}).get("Statement") or [])
        allowed = any(s.get("Effect") == "Allow" for s in statements) and not any(s.get("Effect") == "Deny" for s in statements)
        return dict(result.get("context") or {}) if allowed else None

    @staticmethod
    def _response(result: Any) -> tuple[int, dict[str, str], list[str], bytes]:
        if isinstance(result, dict) and "statusCode" in result:
            headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
            for name, values in (result.get("multiValueHeaders") or {}).items():
                headers[str(name).lower()] = ",".join(str(v) for v in values)
            cookies = [str(c) for c in result.get("cookies") or []]
            body = result.get("body") or ""
            payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
            headers.setdefault("content-type", "application/json")
            return int(result["statusCode"]), headers, cookies, payload
        # no statusCode: API Gateway assumes 200 and sends the result itself as JSON
        payload = result.encode("utf-8") if isinstance(result, str) else json.dumps(result).encode("utf-8")
        return 200, {"content-type": "application/json"}, [], payload
