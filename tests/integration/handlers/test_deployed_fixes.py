"""What a deployed stack got wrong (issue 12, DESIGN.md s12): relative links, expired reports answering 500,
`.XLSX` never imported, SES AccessDenied retried as if transient."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from support.import_kit import create_event, deliver_all, report, start, upload, workbook

GUESTS = [["Identifier", "E-Mail", "Vorname"], ["a1", "a1@example.com", "Anna"], ["b2", "b2@example.com", "Ben"]]


@pytest.mark.parametrize("name", ["GUESTS.XLSX", "Guests.Xlsx", "guests.xlsx"])
def test_an_upload_named_in_any_case_of_xlsx_imports(stack, organiser, empty_queues, name):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook(GUESTS), key=f"imports/{event_id}/{uuid.uuid4().hex[:6]}-{name}"))
    deliver_all(stack)
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "completed" and rep["counts"]["created"] == 2


def test_an_upload_that_is_not_xlsx_is_a_failed_job_saying_why(stack, organiser, empty_queues):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, b"a,b\n1,2\n", key=f"imports/{event_id}/guests.csv"))
    rep = report(stack, organiser, event_id, import_id)
    assert rep["status"] == "failed" and rep["error"]["code"] == "unsupported_file"
    assert "guests.csv" in rep["error"]["message"] and rep["counts"]["created"] == 0


def _expire(stack, event_id: str, import_id: str) -> None:
    """What the bucket's 30-day lifecycle rule does to an import's report files."""
    s3 = boto3.client("s3")
    bucket = stack.physical("ImportBucket")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"reports/{event_id}/{import_id}").get("Contents", [])
    assert listed
    for obj in listed:
        s3.delete_object(Bucket=bucket, Key=obj["Key"])


def test_a_report_whose_files_expired_still_answers_with_its_counts_and_says_so(stack, organiser, empty_queues):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, workbook([*GUESTS, ["", "x@example.com", "No id"]])))
    deliver_all(stack)
    before = report(stack, organiser, event_id, import_id)
    assert before["report_url"] and before["issues_total"] == 1 and "report_expired" not in before
    _expire(stack, event_id, import_id)
    after = report(stack, organiser, event_id, import_id)  # asserts 200
    assert after["report_url"] is None and after["report_expired"] is True and "30 days" in after["report_message"]
    assert (after["status"], after["counts"]) == (before["status"], before["counts"])


def test_a_failed_import_whose_report_expired_still_answers(stack, organiser, empty_queues):
    event_id = create_event(stack, organiser)
    import_id = start(stack, upload(stack, event_id, b"not a workbook"))
    assert report(stack, organiser, event_id, import_id)["report_url"]
    _expire(stack, event_id, import_id)
    after = report(stack, organiser, event_id, import_id)
    assert after["status"] == "failed" and after["report_url"] is None and after["report_expired"] is True


def test_links_use_the_api_url_from_the_stack_parameter_when_public_base_url_is_empty(stack, organiser, monkeypatch):
    """The integration stack deploys the template's defaults: PublicBaseUrl empty, the API URL in SSM."""
    from guestlist import aws
    from guestlist.settings import get_settings

    assert get_settings().public_base_url == ""
    aws.public_base_url.cache_clear()
    event_id = create_event(stack, organiser)
    from support.guests import organiser_call

    status, contact, _ = organiser_call(stack, organiser, "POST", f"/events/{event_id}/contacts", "/events/{event_id}/contacts",
                                        body={"identifier": "ada@example.com"}, path_parameters={"event_id": event_id})
    assert status == 201, contact
    api_url = boto3.client("ssm").get_parameter(Name=get_settings().public_base_url_parameter)["Parameter"]["Value"]
    assert api_url.startswith("https://") and contact["personal_link"].startswith(f"{api_url}/e/")


class _RefusingSes:
    def __init__(self, code: str):
        self.code = code

    def send_email(self, **_):
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "MessageRejected"])
def test_ses_refusals_no_retry_can_fix_are_permanent(stack, code):
    from guestlist.notifications import Notification, send

    assert send(Notification(to="kb@example.com", subject="s", body="b"), client=_RefusingSes(code)).startswith("rejected:")
