"""The emulator's Query reads the partition (or the index key's items), not the sorted whole table,
and answers exactly what a Scan of the same items says it should, page by page (DESIGN.md s9)."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

import boto3
from boto3.dynamodb.types import TypeDeserializer

_plain = TypeDeserializer().deserialize


def _table(ddb, name: str) -> None:
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "shard", "AttributeType": "S"}, {"AttributeName": "rank", "AttributeType": "N"},
                              {"AttributeName": "ticket", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_shard", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "shard", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}]},
            {"IndexName": "by_ticket", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "ticket", "KeyType": "HASH"}]},
        ])


def _pages(ddb, **query) -> list[tuple]:
    found, start = [], {}
    while True:
        page = ddb.query(**query, **start)
        found += [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_queries_match_a_scan_of_the_same_items_after_puts_updates_deletes_and_transactions(shared):
    ddb = boto3.client("dynamodb", endpoint_url=shared.endpoint_url, region_name="us-east-1")
    name = f"query-{uuid.uuid4().hex[:8]}"
    _table(ddb, name)
    rng = random.Random(7)

    def item(i: int, j: int) -> dict:
        attrs = {"pk": {"S": f"p{i % 40}"}, "sk": {"S": f"s{j}"}}
        if rng.random() < 0.8:  # some items are not in the index at all
            attrs["shard"] = {"S": f"e#{rng.randrange(4)}"}
            attrs["rank"] = {"N": str(rng.choice([1, 2, 10, -3, Decimal("2.5")]))}
        if rng.random() < 0.3:
            attrs["ticket"] = {"S": f"t{rng.randrange(6)}"}
        return attrs

    for n in range(400):
        i, j = rng.randrange(200), rng.randrange(3)
        roll = rng.random()
        if roll < 0.55:
            ddb.put_item(TableName=name, Item=item(i, j))
        elif roll < 0.75:  # an update that moves the item between index partitions
            ddb.update_item(TableName=name, Key={"pk": {"S": f"p{i % 40}"}, "sk": {"S": f"s{j}"}},
                            UpdateExpression="SET #s = :s, #r = :r",
                            ExpressionAttributeNames={"#s": "shard", "#r": "rank"},
                            ExpressionAttributeValues={":s": {"S": f"e#{rng.randrange(4)}"}, ":r": {"N": str(n % 7)}})
        elif roll < 0.9:
            ddb.delete_item(TableName=name, Key={"pk": {"S": f"p{i % 40}"}, "sk": {"S": f"s{j}"}})
        else:
            ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": item(i, 3)}},
                                                    {"Delete": {"TableName": name, "Key": {"pk": {"S": f"p{(i + 1) % 40}"},
                                                                                           "sk": {"S": "s0"}}}}])

    stored = [{k: _plain(v) for k, v in i.items()} for page in ddb.get_paginator("scan").paginate(TableName=name)
              for i in page["Items"]]
    assert stored
    for shard in ("e#0", "e#1", "e#2", "e#3", "e#9"):
        expected = sorted((i for i in stored if i.get("shard") == shard and "rank" in i),
                          key=lambda i: (i["rank"], i["pk"], i["sk"]))
        for forward in (True, False):
            want = [(i["pk"], i["sk"]) for i in (expected if forward else expected[::-1])]
            got = _pages(ddb, TableName=name, IndexName="by_shard", Limit=7, ScanIndexForward=forward,
                         KeyConditionExpression="shard = :s", ExpressionAttributeValues={":s": {"S": shard}})
            assert got == want, (shard, forward)
        ranked = _pages(ddb, TableName=name, IndexName="by_shard", KeyConditionExpression="shard = :s AND #r > :r",
                        ExpressionAttributeNames={"#r": "rank"},
                        ExpressionAttributeValues={":s": {"S": shard}, ":r": {"N": "2"}})
        assert ranked == [(i["pk"], i["sk"]) for i in expected if i["rank"] > 2]
    for ticket in ("t0", "t3", "t5", "none"):
        want = sorted((i["pk"], i["sk"]) for i in stored if i.get("ticket") == ticket)
        assert sorted(_pages(ddb, TableName=name, IndexName="by_ticket", KeyConditionExpression="ticket = :t",
                             ExpressionAttributeValues={":t": {"S": ticket}})) == want
    for partition in ("p0", "p7", "p39", "absent"):
        want = sorted((i["pk"], i["sk"]) for i in stored if i["pk"] == partition)
        assert _pages(ddb, TableName=name, Limit=2, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": partition}}) == want
