"""Status-history steps: the contacts stream read like Lambda receives it, the history function, the outbox."""

from __future__ import annotations

import boto3

from support.checkin import book, booked_guest, door_key, guest, new_guest, scan
from support.guests import new_event, organiser_call


def stream_records(stack, event_id: str) -> list[dict]:
    """Every contacts-stream record of the event's partitions so far, as Lambda receives them."""
    streams = boto3.client("dynamodbstreams")
    arn = stack.physical("ContactsTable") and boto3.client("dynamodb").describe_table(
        TableName=stack.physical("ContactsTable"))["Table"]["LatestStreamArn"]
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            for r in page["Records"]:
                if r["dynamodb"]["Keys"]["pk"]["S"].startswith(f"C#{event_id}#"):
                    ddb = {**r["dynamodb"], "ApproximateCreationDateTime": r["dynamodb"]["ApproximateCreationDateTime"].timestamp()}
                    out.append({**r, "dynamodb": ddb, "eventSourceARN": arn})
            iterator = page.get("NextShardIterator")
    return out


def deliver(stack, records: list[dict], batch: int = 100) -> list[dict]:
    failures = []
    for start in range(0, len(records), batch):
        failures += stack.invoke("HistoryFunction", {"Records": records[start:start + batch]})["batchItemFailures"]
    return failures


def history(stack, organiser, event_id, identifier) -> list[dict]:
    status, body, _ = organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/{identifier}/history",
                                     "/events/{event_id}/contacts/{identifier}/history",
                                     path_parameters={"event_id": event_id, "identifier": identifier})
    assert status == 200, body
    return body["history"]


def outbox(stack, to: str) -> list[dict]:
    from guestlist_local.outbox import sent_messages

    return sent_messages(stack.endpoint_url, to=to)


def journey(stack, organiser, manager: str):
    """One guest through every status of the seed's list: open, accessed, waitlisted, unregistered, registered, attended."""
    event_id = new_event(stack, organiser, capacity=1)
    key = door_key(stack, organiser, event_id)
    _, filler_token, filler = booked_guest(stack, organiser, event_id)  # takes the only seat
    # the seed: an account manager must have an account
    organiser_call(stack, organiser, "POST", "/accounts", "/accounts", body={"username": manager.split("@")[0], "email": manager})
    identifier, token = new_guest(stack, organiser, event_id, firstname="Greta", lastname="Gast", account_manager=manager,
                                  groups=["vip"])
    assert guest(stack, "POST", token, "/visit")[0] == 200
    waiting = book(stack, token)
    assert waiting["status"] == "waitlisted"
    assert guest(stack, "POST", token, f"/bookings/{waiting['booking_id']}/cancel", booking_id=waiting["booking_id"])[0] == 200
    assert guest(stack, "POST", filler_token, f"/bookings/{filler['booking_id']}/cancel", booking_id=filler["booking_id"])[0] == 200
    seat = book(stack, token)
    assert seat["status"] == "confirmed"
    assert scan(stack, key, seat["ticket_code"], nonce="j-1", device="door-7")[0] == 201
    return event_id, key, identifier, token, seat
