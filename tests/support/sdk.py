"""SDK calls a test watches or breaks: boto3 and PynamoDB both send every AWS call through
botocore's `BaseClient._make_api_call`, so one patch there sees them all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient


@contextmanager
def intercepted(intercept: Callable[[Callable[[], Any], BaseClient, str, dict], Any]) -> Iterator[None]:
    """While the block runs each call is `intercept(call, client, operation, params)`; `call()` makes the real one."""
    original = BaseClient._make_api_call

    def patched(self, operation_name, api_params):
        return intercept(lambda: original(self, operation_name, api_params), self, operation_name, api_params)

    BaseClient._make_api_call = patched
    try:
        yield
    finally:
        BaseClient._make_api_call = original
