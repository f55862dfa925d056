"""The emulator keeps what it stores, not every object it ever made (moto's instance tracking)."""

from __future__ import annotations

import uuid

import boto3
from moto.core.model_instances import model_data

from guestlist_local.emulator_fixes import OUTBOX_MODELS
from guestlist_local.outbox import sent_messages


def test_writes_leave_no_trail_of_objects_while_the_outbox_still_sees_mails(shared):
    kw = {"endpoint_url": shared.endpoint_url, "region_name": "us-east-1"}
    ddb, sqs, ses = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw), boto3.client("ses", **kw)
    tag = uuid.uuid4().hex
    for i in range(30):  # each a new item version, stream record and (through the pump) more
        ddb.put_item(TableName=shared.physical("ContactsTable"), Item={"pk": {"S": f"{tag}-{i % 3}"}, "sk": {"S": "c"},
                                                                       "n": {"N": str(i)}})
    sqs.send_message(QueueUrl=shared.physical("ParkedQueue"), MessageBody=tag)
    assert shared.wait_idle(30)
    kept = {(service, name): len(model.instances_tracked)
            for service, models in model_data.items() for name, model in models.items() if model.instances_tracked}
    assert set(kept) <= OUTBOX_MODELS, kept  # no item versions, stream records or queue messages

    ses.verify_email_identity(EmailAddress="sender@example.com")
    address = f"{tag}@example.org"
    ses.send_raw_email(Source="sender@example.com", Destinations=[address],
                       RawMessage={"Data": f"From: sender@example.com\nTo: {address}\nSubject: hi {tag}\n\nbody"})
    mails = sent_messages(shared.endpoint_url, to=address)
    assert [m["subject"] for m in mails] == [f"hi {tag}"]
