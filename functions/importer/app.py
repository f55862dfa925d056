"""Import function: an uploaded workbook (S3 ObjectCreated) becomes an import job and chunks."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event

from guestlist.imports.source import event_id_from_key, import_id_for, read_upload
from guestlist.imports.start import start_import
from guestlist.models import plain
from guestlist.observability import MetricUnit, new_metrics, new_tracer
from guestlist.retry import lambda_deadline

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


@logger.inject_lambda_context(clear_state=True)
@lambda_deadline
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(raw_event: dict, context):
    if "Records" not in raw_event:  # s3:TestEvent when notifications are configured
        return {"imports": []}
    started = []
    for record in S3Event(raw_event).records:
        bucket, obj = record.s3.bucket.name, record.s3.get_object
        key = obj.key  # Powertools un-escapes the URL-encoded key
        import_id = import_id_for(bucket, key, obj.etag, obj.version_id, obj.sequencer)
        logger.append_keys(import_id=import_id)
        job = start_import(import_id=import_id, event_id=event_id_from_key(key), object_key=key,
                           read_object=lambda b=bucket, k=key: read_upload(k, b))
        logger.info("import accepted", extra={"status": job.status, "rows_total": int(job.rows_total),
                                              "chunks": int(job.chunks_total), "error": plain(job.error) or None})
        metrics.add_metric(name="ImportsFailed" if job.status == "failed" else "ImportsAccepted", unit=MetricUnit.Count, value=1)
        started.append({"import_id": import_id, "status": job.status})
    return {"imports": started}
