"""Corrections to moto's DynamoDB where it is wrong under concurrency; applied to the in-process emulator.

moto 5.2 runs requests on server threads with no isolation: TransactWriteItems deep-copies
every table it touches before writing and, when any condition fails, puts the copies back.
A concurrent writer's committed item (and its stream records) vanish with that rollback,
and the copy costs O(table size) per transaction. DynamoDB itself is linearisable per
item and checks every condition of a transaction before applying any of it. So here:
DynamoDB requests are serialised through one lock, and a transaction evaluates all its
conditions first and writes only when all pass — no copy, no rollback.

moto also checks DynamoDB's 400 KB item limit only on top-level attributes, so an UpdateItem
setting a nested map value (`SET custom.answer = :five_megabytes`) stored any size, which a
later read then could not serve. Here every UpdateItem, and every Update and Put of a
transaction, is sized on a scratch copy first and refused as DynamoDB refuses it
(ValidationException "Item size ... has exceeded the maximum allowed size"), before anything
is written.

moto also keeps every model object it ever made (each DynamoDB item version, stream record
and SQS message) in a class-level list, only to show them at `/moto-api/data.json`: memory
grew with every write for as long as the stack ran, and the outbox, which reads that page,
took longer with every test (10 s and more at load 40). Here only the objects the outbox
shows are kept: SES mails and SNS texts.

moto also answers every Query by listing the whole table sorted by primary key (DynamoType
comparisons, O(n log n) in Python) before it picks the partition's items and sorts those again:
an index Query over 50,000 contacts took seconds, and each check-in's `by_ticket` lookup grew
with the event. DynamoDB reads only the partition. Here a Query walks the table's items unsorted
(moto sorts the matching ones itself, by the index key and then the table key, so the answer and
its pages are the same); Scan keeps moto's sorted walk, which its pagination relies on.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.RLock()
_applied = False
ITEM_MAX_BYTES = 400 * 1024  # DynamoDB's item size limit: attribute names and values


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
    original_update = DynamoDBBackend.update_item

    def update_item(self, table_name, key, update_expression, expression_attribute_names, expression_attribute_values,
                    *args, **kwargs):
        if update_expression:
            _refuse_oversized_update(self, table_name, key, update_expression, expression_attribute_names,
                                     expression_attribute_values)
        return original_update(self, table_name, key, update_expression, expression_attribute_names,
                               expression_attribute_values, *args, **kwargs)

    DynamoDBBackend.update_item = update_item
    _query_without_sorting_the_table()
    _track_only_the_outbox()
    _dispatch_once_per_host()
    _applied = True


def _dispatch_once_per_host() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    known: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:  # called under the dispatcher's lock
        if host not in known:
            known[host] = original(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


_in_query = threading.local()


def _query_without_sorting_the_table() -> None:
    from moto.dynamodb.models.table import Table

    sorted_items, original_query = Table.all_items, Table.query

    def all_items(self):
        scope = getattr(_in_query, "scope", None)
        if scope is None or scope[0] is not self:
            return sorted_items(self)
        return _query_candidates(self, *scope[1:])

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, consistent_read=False, filter_expression=None, **kwargs):
        _in_query.scope = (self, index_name, hash_key, kwargs.get("hash_key_conditions"))
        try:
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, projection_expressions, index_name, consistent_read,
                                  filter_expression, **kwargs)
        finally:
            _in_query.scope = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]


def _query_candidates(table, index_name: str | None, hash_key, conditions) -> list:
    """The items a Query can match, unsorted: the partition for a table Query, the items whose index
    key attributes equal the query's for an index Query. A superset of moto's own test, which runs on them."""
    if not index_name:
        partition = table.items.get(hash_key) if hash_key is not None else None
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    everything = ([item for partition in table.items.values() for item in partition.values()]
                  if table.range_key_attr else list(table.items.values()))
    if not conditions:
        return everything
    wanted = [(name, value.type, value) for name, value in conditions]
    return [item for item in everything
            if all((a := item.attrs.get(name)) is not None and a.type == kind
                   and (a.value == value.value if kind in ("S", "B") else a == value) for name, kind, value in wanted)]


OUTBOX_MODELS = {("ses", "Message"), ("ses", "RawMessage"), ("sns", "SMS")}


def _model_key(cls: type) -> tuple[str, str]:
    """(service, class name), as moto files its models: moto.ses.models.RawMessage -> ("ses", "RawMessage")."""
    parts = cls.__module__.split(".")
    return (parts[1] if len(parts) > 1 else "", cls.__name__)


def _track_only_the_outbox() -> None:
    """moto's BaseModel.__new__, without keeping a reference to objects the outbox does not read."""
    from moto.core.common_models import BaseModel
    from moto.core.model_instances import model_data

    def __new__(cls, *args: Any, **kwargs: Any):
        instance = super(BaseModel, cls).__new__(cls)
        if _model_key(cls) in OUTBOX_MODELS:
            cls.instances_tracked.append(instance)
        return instance

    BaseModel.__new__ = __new__  # type: ignore[method-assign]
    for service, models in model_data.items():  # and what was kept before this ran
        for name, model in models.items():
            if (service, name) not in OUTBOX_MODELS:
                model.instances_tracked = []  # type: ignore[attr-defined]


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
    for op_type, op, key in planned:  # DynamoDB refuses the whole transaction if any item would be too large
        if op_type == "Update":
            _refuse_oversized_update(self, op["TableName"], key, op["UpdateExpression"],
                                     op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
        elif op_type == "Put":
            _refuse_oversized_put(self, op["TableName"], op["Item"])
    for op_type, op, key in planned:  # every condition held: apply all (under the request lock)
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values)
        elif op_type == "Delete":
            self.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
        elif op_type == "Update":
            self.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                             expression_attribute_names=names, expression_attribute_values=values)


def _too_large(update: bool = False) -> Exception:
    from moto.dynamodb.exceptions import ItemSizeTooLarge, ItemSizeToUpdateTooLarge

    return ItemSizeToUpdateTooLarge() if update else ItemSizeTooLarge()


def _refuse_oversized_put(backend, table_name: str, attrs: dict) -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    table = backend.get_table(table_name)
    try:
        item = Item(DynamoType(attrs[table.hash_key_attr]), None, attrs)
    except ItemSizeTooLarge:
        raise _too_large() from None
    except Exception:
        return
    if item.size() > ITEM_MAX_BYTES:
        raise _too_large()


def _refuse_oversized_update(backend, table_name: str, key: dict, expression: str, names: dict | None,
                             values: dict | None) -> None:
    """Run the update on a scratch copy of the item and refuse it if the result is over the limit."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.parsing.executors import UpdateExpressionExecutor
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    try:
        table = backend.get_table(table_name)
        hash_value, range_value = backend.get_keys_value(table, key)
        current = table.get_item(hash_value, range_value)
        scratch = copy.deepcopy(current) if current is not None else Item(hash_value, range_value, attrs={})
        validated = UpdateExpressionValidator(UpdateExpressionParser.make(expression), expression_attribute_names=names or {},
                                              expression_attribute_values=values or {}, item=scratch, table=table).validate()
        validated.normalize()
        UpdateExpressionExecutor(validated, scratch, names or {}).execute()
    except ItemSizeTooLarge:
        raise _too_large(update=True) from None
    except Exception:
        return
    if scratch.size() > ITEM_MAX_BYTES:
        raise _too_large(update=True)
