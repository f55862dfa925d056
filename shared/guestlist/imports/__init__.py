"""Import jobs: a workbook (or an account group) becomes a job, chunks of rows, counted results and a report.

The contract is DESIGN.md s3 and s6. Invariants kept here:
- a failed file writes no contact (the whole file is validated before the first chunk is sent);
- one upload is one job, however often its S3 event arrives (the job id is derived from the
  event, the job is created with a condition, chunks are deterministic and counted by marker);
- a chunk is counted once however often it is delivered: its result marker and the job's
  counters move in one transaction;
- the job always ends in a terminal status, also when a chunk dies in the DLQ or a worker
  crashes after counting the last chunk (every redelivery and replay tries to finish);
- created + updated + skipped + failed == rows_total.

The package's modules, in the order an import runs:
- `request`: the API's `POST /events/{id}/imports` (options checked, presigned upload or account-group job);
- `source`: the upload's S3 key and the job id derived from its event;
- `start`: the import function (the whole workbook validated, `row_checks` applied);
- `fan_out`: the job to running and its chunks on the work queue (or a dry run's report);
- `worker`: one chunk written and counted (also its dead-letter run);
- `completion`: delete-missing, the issue reports and the terminal status;
- `reports`: the list and the report the API shows; `jobs`: the job's storage shared by all.
"""

from ..import_options import MODES, ImportOptions
from .completion import finish, finish_if_done, finish_import
from .fan_out import send_chunks
from .jobs import TERMINAL, get_job
from .reports import REPORT_DAYS, list_imports, report_json
from .request import (
    MAX_ACCOUNT_IMPORT,
    SOURCES,
    check_options_for_event,
    prepare_upload,
    request_import,
    start_account_import,
)
from .row_checks import check_form_values, form_targets, unknown_account_manager
from .source import event_id_from_key, import_id_for, read_upload, upload_key
from .start import start_import
from .worker import process_chunk, record_dead_chunk

__all__ = [
    "MAX_ACCOUNT_IMPORT", "MODES", "REPORT_DAYS", "SOURCES", "TERMINAL", "ImportOptions", "check_form_values",
    "check_options_for_event", "event_id_from_key", "finish", "finish_if_done", "finish_import", "form_targets", "get_job",
    "import_id_for", "list_imports", "prepare_upload", "process_chunk", "read_upload", "record_dead_chunk", "report_json",
    "request_import", "send_chunks", "start_account_import", "start_import", "unknown_account_manager", "upload_key",
]
