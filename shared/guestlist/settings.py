"""Settings: one typed object, read once from the environment the template sets."""

from __future__ import annotations

import os
from functools import lru_cache

import msgspec

SES_SENDER = "guestlist@example.com"  # verified SES identity of account-manager mails
# Public registration (DESIGN.md s10): at most this many POSTs per client address and
# event in one window of this many seconds (a corporate NAT shares one address).
REGISTRATION_LIMIT = 20
REGISTRATION_WINDOW_SECONDS = 600


class Settings(msgspec.Struct, frozen=True):
    """A Struct, not a dataclass: declared in ~1/10 of the time (every cold start, DESIGN.md s9).
    Copy with changes: `msgspec.structs.replace(settings, name=value)`."""

    contacts_table: str
    events_table: str
    history_table: str
    import_bucket: str
    work_queue_url: str
    link_secret_arn: str
    public_base_url: str = ""
    # where the API's own URL is kept (SSM) for links when public_base_url is empty (DESIGN.md s12)
    public_base_url_parameter: str = ""
    # the import report step's queue (ImportReportFunction); empty: the last worker finishes in place
    report_queue_url: str = ""
    import_chunk_size: int = 100
    ses_sender: str = SES_SENDER
    export_queue_url: str = ""  # exports run asynchronously: one message per export
    # Listing contacts of one event fans out over this many index partitions, so that
    # no partition key takes more than 1/shards of an event's writes (DESIGN.md s9).
    event_shards: int = 32
    # Campaigns (DESIGN.md s11): the sender's queue, the scheduler's role, unsubscribe tokens' secret.
    campaign_queue_url: str = ""
    campaign_queue_arn: str = ""
    campaign_chunk_size: int = 50
    campaign_send_concurrency: int = 8  # SES/SNS calls in flight per chunk (I/O bound; throttling is retried)
    scheduler_role_arn: str = ""
    unsubscribe_secret_arn: str = ""
    ses_configuration_set: str = ""  # bounce and complaint notifications
    registration_limit: int = REGISTRATION_LIMIT
    registration_window_seconds: int = REGISTRATION_WINDOW_SECONDS

    @classmethod
    def from_env(cls, env: os._Environ | dict | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in _REQUIRED if not env.get(name)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            contacts_table=env["CONTACTS_TABLE"],
            events_table=env["EVENTS_TABLE"],
            history_table=env["HISTORY_TABLE"],
            import_bucket=env["IMPORT_BUCKET"],
            work_queue_url=env["WORK_QUEUE_URL"],
            link_secret_arn=env["LINK_SECRET_ARN"],
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
            public_base_url_parameter=env.get("PUBLIC_BASE_URL_PARAMETER", ""),
            report_queue_url=env.get("REPORT_QUEUE_URL", ""),
            import_chunk_size=int(env.get("IMPORT_CHUNK_SIZE") or 100),
            ses_sender=env.get("SES_SENDER") or SES_SENDER,
            export_queue_url=env.get("EXPORT_QUEUE_URL", ""),
            campaign_queue_url=env.get("CAMPAIGN_QUEUE_URL", ""),
            campaign_queue_arn=env.get("CAMPAIGN_QUEUE_ARN", ""),
            campaign_chunk_size=int(env.get("CAMPAIGN_CHUNK_SIZE") or 50),
            campaign_send_concurrency=int(env.get("CAMPAIGN_SEND_CONCURRENCY") or 8),
            scheduler_role_arn=env.get("SCHEDULER_ROLE_ARN", ""),
            unsubscribe_secret_arn=env.get("UNSUBSCRIBE_SECRET_ARN", ""),
            ses_configuration_set=env.get("SES_CONFIGURATION_SET", ""),
            registration_limit=int(env.get("REGISTRATION_LIMIT") or REGISTRATION_LIMIT),
            registration_window_seconds=int(env.get("REGISTRATION_WINDOW_SECONDS") or REGISTRATION_WINDOW_SECONDS),
        )


_REQUIRED = ("CONTACTS_TABLE", "EVENTS_TABLE", "HISTORY_TABLE", "IMPORT_BUCKET", "WORK_QUEUE_URL", "LINK_SECRET_ARN")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
