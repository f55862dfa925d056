"""Corrections to moto's DynamoDB where it is wrong under concurrency; applied to the in-process emulator.

moto 5.2 runs requests on server threads with no isolation: TransactWriteItems deep-copies
every table it touches before writing and, when any condition fails, puts the copies back.
A concurrent writer's committed item (and its stream records) vanish with that rollback,
and the copy costs O(table size) per transaction. DynamoDB itself is linearisable per
item and checks every condition of a transaction before applying any of it. So here:
DynamoDB requests are serialised through one lock, and a transaction evaluates all its
conditions first and writes only when all pass — no copy, no rollback.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    original_call = DynamoHandler.call_action

    def call_action(self):  # one DynamoDB request at a time, as if each were atomic
        with _lock:
            return original_call(self)

    DynamoHandler.call_action = call_action
    DynamoDBBackend.transact_write_items = _transact_write_items
    _applied = True


def _transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    planned: list[tuple[str, dict, dict]] = []
    errors: list[tuple] = []
    failed = False
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table = self.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        marker = (op["TableName"], str(dict(sorted(key.items()))))
        if marker in seen:
            raise MultipleTransactionsException()
        seen.add(marker)
        planned.append((op_type, op, key))
        condition = op.get("ConditionExpression")
        if condition is None:
            errors.append((None, None, None))
            continue
        current = self.get_item(op["TableName"], key)
        check = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
        if check.expr(current):
            errors.append((None, None, None))
        else:
            failed = True
            old = current.to_json()["Attributes"] if (current and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD") else None
            errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
    if failed:
        raise TransactionCanceledException(errors)
    for op_type, op, key in planned:  # every condition held: apply all (under the request lock)
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values)
        elif op_type == "Delete":
            self.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
        elif op_type == "Update":
            self.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                             expression_attribute_names=names, expression_attribute_values=values)
