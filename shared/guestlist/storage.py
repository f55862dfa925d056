"""Storage access below the models: the one module that reaches into PynamoDB's connection.

Transactions and raw queries need the low-level connection, which PynamoDB only hands out
through the private `Model._get_connection()`; it is called here and nowhere else, so a
PynamoDB upgrade that changes it is one edit. The connection is taken from the model a
caller names, at call time: the same connection (endpoint, region, retries of its Meta)
a plain `save` or `query` of that model uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from .retry import retrying


def transaction(model: type[Model]) -> TransactWrite:
    """A write transaction over `model`'s connection: `with storage.transaction(BookingModel) as tx: ...`.

    It commits when the block ends; a cancelled one raises `TransactWriteError` (see guestlist.retry
    for telling a failed condition from contention).
    """
    return TransactWrite(connection=model._get_connection().connection)


def transact_write(model: type[Model], build: Callable[[TransactWrite], None], *, what: str) -> None:
    """`build(tx)` adds the items, then the transaction commits; contention and throttling are tried again
    (guestlist.retry, a new transaction each time), a failed condition raises `TransactWriteError`."""

    def attempt() -> None:
        with transaction(model) as tx:
            build(tx)

    retrying(attempt, what=what)


def query_page(model: type[Model], hash_key: str, range_key_condition: Any = None, **kwargs: Any) -> dict:
    """One page of a Query as DynamoDB answers it (`Items` still raw, `LastEvaluatedKey`): for a partition
    holding items of several models, each turned into its model by the caller (`Model.from_raw_data`)."""
    return model._get_connection().query(hash_key, range_key_condition, **kwargs)
