"""API documentation: the OpenAPI document at /openapi.json and a page rendering it at /docs.

The document is generated from the code: on its first request this function imports the
sibling API functions (they are in its package, CodeUri `functions/`), which declares their
routes with `guestlist.edge`, and builds the document from those declarations. Only this
function pays for that; the APIs' own cold starts never load it. The page's script and style
are files of this function (no CDN, no third-party request).
"""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import importlib.util
import json
import sys
import threading
from pathlib import Path

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response

from guestlist.api import SECURITY_HEADERS, HttpResolver, install_error_handlers
from guestlist.codes import Code
from guestlist.edge import Edge
from guestlist.errors import NotFound
from guestlist.schemas.docs import OpenApiDocument

logger = Logger()
app = HttpResolver()
install_error_handlers(app)
edge = Edge(app, auth=False, tag="docs")

HERE = Path(__file__).resolve().parent
API_FUNCTIONS = ("guest_api", "checkin_api", "organiser_api")  # the functions behind the HTTP API's routes
ASSETS = {"docs.js": "text/javascript; charset=utf-8", "docs.css": "text/css; charset=utf-8"}
_lock = threading.Lock()
_document: str | None = None


def _import_api(name: str) -> None:
    """Import a sibling function's app.py as Lambda would (its folder importable while it loads)."""
    module_name = f"guestlist_docs_{name}"
    if module_name in sys.modules:
        return
    folder = HERE.parent / name
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    sys.modules[module_name] = module


def document() -> dict:
    """The OpenAPI document of every route the API functions and this one declare."""
    from guestlist.edge import REGISTRY
    from guestlist.openapi import build_document

    for name in API_FUNCTIONS:
        _import_api(name)
    return build_document(REGISTRY.values())


def _document_text() -> str:
    global _document
    with _lock:
        if _document is None:
            _document = json.dumps(document(), ensure_ascii=False)
        return _document


@edge.get("/openapi.json", response=OpenApiDocument, summary="This document")
def openapi_json():
    return Response(status_code=200, content_type="application/json", body=_document_text(),
                    headers={"Cache-Control": "max-age=300", "Access-Control-Allow-Origin": "*"})


@edge.get("/docs", response=str, content_type="text/html", summary="The API documentation, rendered")
def docs_page():
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=(HERE / "docs.html").read_text("utf-8"),
                    headers={**SECURITY_HEADERS, "Cache-Control": "max-age=300", "X-Frame-Options": "DENY",
                             "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                                                        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                                        "form-action 'none'; frame-ancestors 'none'"})


@edge.get("/docs/<asset>", response=str, content_type="text/javascript", also=("text/css",),
          summary="The documentation page's script and style")
def docs_asset(asset: str):
    if asset not in ASSETS:
        raise NotFound(Code.NOT_FOUND, "no such file")
    return Response(status_code=200, content_type=ASSETS[asset], body=(HERE / asset).read_text("utf-8"),
                    headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
