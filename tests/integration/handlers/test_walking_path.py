"""The walking skeleton at handler level: every arrow of the design card, with real event shapes."""

from __future__ import annotations

import io

import boto3
from openpyxl import Workbook

from support.events import authorizer_event, http_event, s3_put, sqs_event, sqs_record


def _organiser_call(stack, organiser, method, path, route, body=None, path_parameters=None, query=None):
    event = http_event(method, path, route, body=body, path_parameters=path_parameters, query=query,
                       headers={"authorization": f"Bearer {organiser['key']}"}, authorizer=organiser["scope"])
    return stack.http("OrganiserApiFunction", event)


def _create_event(stack, organiser, **fields):
    status, body, _ = _organiser_call(stack, organiser, "POST", "/events", "/events",
                                      body={"name": "Sommerfest", "start": "2027-06-01T18:00:00+02:00",
                                            "end": "2027-06-01T23:00:00+02:00", "timezone": "Europe/Zurich", **fields})
    assert status == 201, body
    return body["event_id"]


def _workbook(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _drain(stack, queue_logical: str, function_logical: str) -> list:
    """Deliver what the queue holds to its function, like the event source mapping would."""
    sqs = boto3.client("sqs")
    url = stack.physical(queue_logical)
    responses = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            return responses
        records = [sqs_record(m["Body"], message_id=m["MessageId"]) for m in got]
        response = stack.invoke(function_logical, sqs_event(*records))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for m in got:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        responses.append(response)


def test_workbook_upload_becomes_contacts_with_links_bookings_checkin_and_history(stack, organiser):
    event_id = _create_event(stack, organiser)
    bucket = stack.physical("ImportBucket")
    key = f"imports/{event_id}/guests.xlsx"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=_workbook([
        ["Identifier", "E-Mail", "Vorname", "Nachname", "PLZ"],
        ["anna@example.com", "anna@example.com", "Anna", "Muster", 8001],
        ["B-002", "ben@example.com", "Ben", "Beispiel", 3000],
    ]))
    etag = boto3.client("s3").head_object(Bucket=bucket, Key=key)["ETag"].strip('"')

    # S3 -> import function -> SQS
    result = stack.invoke("ImportFunction", s3_put(bucket, key, etag=etag))
    import_id = result["imports"][0]["import_id"]
    assert result["imports"][0]["status"] == "running"

    # SQS -> upsert worker -> DynamoDB
    responses = _drain(stack, "WorkQueue", "UpsertWorkerFunction")
    assert responses and all(r["batchItemFailures"] == [] for r in responses)
    # the last counted chunk asked for the report step: SQS -> import report function
    responses = _drain(stack, "ReportQueue", "ImportReportFunction")
    assert responses and all(r["batchItemFailures"] == [] for r in responses)

    status, report, _ = _organiser_call(stack, organiser, "GET", f"/events/{event_id}/imports/{import_id}",
                                        "/events/{event_id}/imports/{import_id}",
                                        path_parameters={"event_id": event_id, "import_id": import_id})
    assert status == 200
    assert report["status"] == "completed"
    assert report["counts"] == {"created": 2, "updated": 0, "deleted": 0, "skipped": 0, "failed": 0}

    status, contact, _ = _organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/anna%40example.com",
                                         "/events/{event_id}/contacts/{identifier}",
                                         path_parameters={"event_id": event_id, "identifier": "anna%40example.com"})
    assert status == 200, contact
    assert contact["firstname"] == "Anna" and contact["zip"] == "8001" and contact["status"] == "open"
    link = contact["personal_link"]
    token = link.split("/e/")[1].split("?")[0]

    # the table holds only the hash of the token
    items = boto3.client("dynamodb").scan(TableName=stack.physical("ContactsTable"))["Items"]
    assert token not in str(items)

    # personal link -> guest API
    status, view, headers = stack.http("GuestApiFunction", http_event("GET", f"/e/{token}", "/e/{token}", path_parameters={"token": token}))
    assert status == 200 and view["contact"]["identifier"] == "anna@example.com"
    assert headers["cache-control"] == "no-store"
    status, booking, _ = stack.http("GuestApiFunction", http_event("POST", f"/e/{token}/bookings", "/e/{token}/bookings",
                                                                   path_parameters={"token": token}, body={"firstname": "Anna"}))
    assert status == 201 and booking["status"] == "confirmed", booking

    # check-in key -> authorizer -> check-in API
    status, created, _ = _organiser_call(stack, organiser, "POST", f"/events/{event_id}/checkin-keys",
                                         "/events/{event_id}/checkin-keys", path_parameters={"event_id": event_id}, body={})
    assert status == 201
    auth = stack.invoke("AuthorizerFunction", authorizer_event("POST /events/{event_id}/checkins", f"/events/{event_id}/checkins",
                                                               f"Bearer {created['key']}", {"event_id": event_id}))
    assert auth["isAuthorized"] is True
    scan = http_event("POST", f"/events/{event_id}/checkins", "/events/{event_id}/checkins", path_parameters={"event_id": event_id},
                      body={"code": booking["ticket_code"], "nonce": "n-1", "device": "door-1"}, authorizer=auth["context"])
    status, checked, _ = stack.http("CheckinApiFunction", scan)
    assert (status, checked["result"]) == (201, "ok")
    status, again, _ = stack.http("CheckinApiFunction", scan)
    assert (status, again["result"]) == (200, "ok")

    # DynamoDB stream -> history function -> status history
    _deliver_stream(stack)
    status, hist, _ = _organiser_call(stack, organiser, "GET", f"/events/{event_id}/contacts/anna%40example.com/history",
                                      "/events/{event_id}/contacts/{identifier}/history",
                                      path_parameters={"event_id": event_id, "identifier": "anna%40example.com"})
    assert status == 200
    assert [h["new_status"] for h in hist["history"]] == ["open", "registered", "attended"]
    assert hist["history"][-1]["cause"] == "checkin"


def _deliver_stream(stack):
    """Read every shard of the contacts stream and deliver it to the history function."""
    streams = boto3.client("dynamodbstreams")
    arn = stack.topology.tables["ContactsTable"] and boto3.client("dynamodb").describe_table(
        TableName=stack.physical("ContactsTable"))["Table"]["LatestStreamArn"]
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:  # the worker's moto is shared by earlier tests: read past their records too
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = page["Records"]
            if not records:
                break
            for start in range(0, len(records), 100):
                batch = [{**r, "eventSourceARN": arn} for r in records[start:start + 100]]
                response = stack.invoke("HistoryFunction", {"Records": batch})
                assert response["batchItemFailures"] == []
            iterator = page.get("NextShardIterator")


def test_organiser_created_contact_carries_a_personal_link_that_resolves(stack, organiser):
    event_id = _create_event(stack, organiser)
    status, contact, _ = _organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                         path_parameters={"event_id": event_id},
                                         body={"identifier": " Carla@Example.com ", "firstname": "Carla", "language": "fr"})
    assert status == 201, contact
    assert contact["identifier"] == "carla@example.com"
    assert contact["personal_link"].endswith("?lang=fr")
    token = contact["personal_link"].split("/e/")[1].split("?")[0]
    status, view, _ = stack.http("GuestApiFunction", http_event("GET", f"/e/{token}", "/e/{token}", path_parameters={"token": token}))
    assert status == 200 and view["contact"]["firstname"] == "Carla" and view["status"] == "open"
    status, again, _ = _organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                       path_parameters={"event_id": event_id}, body={"identifier": "carla@example.com"})
    assert status == 409 and again["error"]["code"] == "already_exists"
