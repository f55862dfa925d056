"""Real AWS event shapes for handler tests, built the way Lambda delivers them.

Shapes follow the AWS documentation samples (and Powertools' own test events); tests
parse them through the same Powertools data classes the handlers use.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import quote_plus, urlencode

REGION = "us-east-1"
ACCOUNT = "123456789012"


def s3_put(bucket: str, key: str, *, size: int = 1024, etag: str = "0123456789abcdef0123456789abcdef",
           sequencer: str = "0055AED6DCD90281E5", version_id: str | None = None) -> dict:
    obj = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": sequencer}
    if version_id:
        obj["versionId"] = version_id
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventTime": "2026-11-23T12:00:00.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:EXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "ImportFunctionUpload",
               "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": f"arn:aws:s3:::{bucket}"},
               "object": obj},
    }]}


def sqs_record(body: dict | str, *, queue: str = "guestlist-WorkQueue", receive_count: int = 1, message_id: str | None = None) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    now = str(int(time.time() * 1000))
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + uuid.uuid4().hex,
        "body": text,
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": now,
                       "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": now},
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
        "awsRegion": REGION,
    }


def sqs_event(*records: dict) -> dict:
    return {"Records": list(records)}


def dynamodb_record(event_name: str, keys: dict, new_image: dict | None, old_image: dict | None, *,
                    sequence: str = "111", table: str = "guestlist-ContactsTable") -> dict:
    """Images in DynamoDB JSON ({"S": ...}), as the stream carries them."""
    ddb = {"ApproximateCreationDateTime": time.time(), "Keys": keys, "SequenceNumber": sequence,
           "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new_image is not None:
        ddb["NewImage"] = new_image
    if old_image is not None:
        ddb["OldImage"] = old_image
    return {"eventID": uuid.uuid4().hex, "eventName": event_name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": REGION, "dynamodb": ddb,
            "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-11-23T00:00:00.000"}


def http_event(method: str, path: str, route: str, *, body: dict | str | None = None, headers: dict | None = None,
               query: dict | None = None, path_parameters: dict | None = None, authorizer: dict | None = None) -> dict:
    """API Gateway HTTP API payload v2.0."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    raw_body, is_b64 = None, False
    if body is not None:
        raw_body = body if isinstance(body, str) else json.dumps(body)
        headers.setdefault("content-type", "application/json")
    event = {
        "version": "2.0", "routeKey": f"{method} {route}", "rawPath": path,
        "rawQueryString": urlencode(query or {}), "headers": {"host": "api.example.com", "user-agent": "pytest", **headers},
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "api123", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "pytest"},
            "requestId": uuid.uuid4().hex, "routeKey": f"{method} {route}", "stage": "$default",
            "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if raw_body is not None:
        event["body"] = raw_body
    if authorizer is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer}
    return event


def authorizer_event(route: str, path: str, authorization: str | None, path_parameters: dict | None = None) -> dict:
    headers = {"host": "api.example.com"}
    if authorization is not None:
        headers["authorization"] = authorization
    return {
        "version": "2.0", "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:api123/$default/{route.replace(' ', '')}",
        "identitySource": [authorization] if authorization else [],
        "routeKey": route, "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {"accountId": ACCOUNT, "apiId": "api123", "domainName": "api.example.com",
                           "http": {"method": route.split(" ")[0], "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "pytest"},
                           "requestId": uuid.uuid4().hex, "routeKey": route, "stage": "$default",
                           "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": int(time.time() * 1000)},
        "pathParameters": path_parameters or {},
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
