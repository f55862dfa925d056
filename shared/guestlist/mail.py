"""The one sending path for everything the system mails or texts to a person.

Mail is built here as raw MIME with the standard library's `email` package (text and
HTML parts, attachments, headers such as List-Unsubscribe exactly as sent) and goes out
through SES v2 `SendEmail(Content.Raw)`; SMS goes through SNS `Publish`. Errors are
classified once: throttling and outages raise `RetryableSendError` (the caller retries or
lets its queue redeliver); refusals no retry can fix raise `PermanentSendError` with a
snake_case reason that is safe to store and show (never the address, never the AWS
message, which may quote it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import cache

import msgspec
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from . import aws
from .errors import GuestlistError
from .settings import get_settings

# AWS error codes (SES v2 and SNS) that a later attempt may get past.
RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "LimitExceededException", "KMSThrottlingException", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalFailure", "InternalError", "InternalServerError", "InternalServiceError", "RequestTimeout",
    "RequestTimeoutException",
})
# Refusals no retry can fix, with the reason recorded per recipient.
PERMANENT_REASONS = {
    "MessageRejected": "message_rejected",
    "AccessDenied": "access_denied",
    "AccessDeniedException": "access_denied",
    "AuthorizationError": "access_denied",
    "BadRequestException": "invalid_address",
    "InvalidParameterValue": "invalid_address",
    "InvalidParameter": "invalid_address",
    "InvalidParameterException": "invalid_address",
    "MailFromDomainNotVerifiedException": "sender_not_verified",
    "NotFoundException": "sender_not_verified",
    "AccountSuspendedException": "account_suspended",
    "SendingPausedException": "sending_paused",
    "EndpointDisabled": "endpoint_disabled",
    "OptedOut": "opted_out",
}

SMS_MAX_CHARS = 480  # three concatenated SMS segments of Unicode text at most


@cache
def _policy():
    """SMTP's policy without folding below RFC 5322's hard limit: a folded List-Unsubscribe URL confuses
    some clients. Made at the first mail built, with the email package (most stream records that bring
    the history function up send nothing: its cold start does not pay for it, DESIGN.md s9)."""
    from email.policy import SMTP

    return SMTP.clone(max_line_length=998)


class SendError(GuestlistError):
    """A mail or SMS did not go out; `reason` is safe to store and show."""

    status = 502

    def __init__(self, reason: str, aws_code: str | None = None):
        super().__init__(reason, f"the message was not sent: {reason}", {"aws_code": aws_code} if aws_code else None)
        self.reason = reason
        self.aws_code = aws_code


class RetryableSendError(SendError):
    """Throttling or an outage: the same message may be tried again later."""


class PermanentSendError(SendError):
    """Refused for good (rejected, denied, invalid address): report it, never retry it."""


# ------------------------------------------------------------------ messages

class Attachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str  # e.g. "image/png", "text/calendar; method=PUBLISH"
    data: bytes


class Mail(msgspec.Struct, frozen=True):
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. List-Unsubscribe
    sender: str | None = None  # default: settings.ses_sender
    sender_name: str | None = None
    reply_to: str | None = None
    configuration_set: str | None = None  # SES configuration set (bounce and complaint notifications)


class Sms(msgspec.Struct, frozen=True):
    to: str  # E.164
    text: str
    kind: str = "Transactional"  # SNS SMSType: Transactional | Promotional


Message = Mail | Sms


class Sent(msgspec.Struct, frozen=True):
    channel: str  # email | sms
    message_id: str
    attempts: int = 1
    extra: dict = msgspec.field(default_factory=dict)


def unsubscribe_headers(url: str, mailto: str | None = None) -> tuple[tuple[str, str], ...]:
    """RFC 2369 + RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to `url`."""
    targets = f"<{url}>" + (f", <mailto:{mailto}?subject=unsubscribe>" if mailto else "")
    return (("List-Unsubscribe", targets), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def _sender_address(mail: Mail) -> str:
    if mail.sender:
        return mail.sender
    return get_settings().ses_sender


def build_mime(mail: Mail, *, domain: str | None = None, date: float | None = None) -> bytes:
    """The raw message exactly as SES will send it: 7-bit clean, CRLF line ends.

    Structure: text/plain, or multipart/alternative (text, html); with attachments both
    wrapped in multipart/mixed. Non-ASCII headers are RFC 2047 encoded by the policy.
    """
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate, make_msgid

    sender = _sender_address(mail)
    msg = EmailMessage(policy=_policy())
    msg["From"] = formataddr((mail.sender_name, sender)) if mail.sender_name else sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject.replace("\r", " ").replace("\n", " ")
    msg["Date"] = formatdate(date, localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain or sender.rpartition("@")[2] or None)
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    for name, value in mail.headers:
        msg[name] = value
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for item in mail.attachments:
        main, _, rest = item.content_type.partition("/")
        sub, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        msg.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename, params=extra)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # EmailMessage adds it to every part it creates; only the root has one
    return msg.as_bytes()


# ------------------------------------------------------------------ sending

def classify(exc: BaseException) -> SendError:
    """The SendError an AWS failure means; unknown 5xx are retryable, unknown 4xx permanent."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        if code in RETRYABLE_CODES:
            return RetryableSendError("throttled" if "hrottl" in code or "TooMany" in code else "unavailable", code)
        if code in PERMANENT_REASONS:
            return PermanentSendError(PERMANENT_REASONS[code], code)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or status == 429:
            return RetryableSendError("unavailable", code or str(status))
        return PermanentSendError("rejected", code or str(status) or None)
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return RetryableSendError("unavailable", type(exc).__name__)  # never reached AWS: safe to try again
    if isinstance(exc, (ReadTimeoutError, ConnectionClosedError)):
        # The request reached AWS and may have been sent: trying again could send it twice.
        return PermanentSendError("send_unconfirmed", type(exc).__name__)
    raise exc


# SES v2 / SNS without botocore's own retries: `send_with_backoff` owns the retry budget.
_SEND_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=20)


def _client(service: str):
    return aws.client(service, _SEND_CONFIG)  # made once per service there (aws.client is cached)


def client_for(service: str):
    """The SES v2 ("sesv2") or SNS ("sns") client `send` uses; call it once before sharing it between threads."""
    return _client(service)


def send(message: Message, *, client=None) -> Sent:
    """One SES or SNS call for one message. Raises RetryableSendError or PermanentSendError."""
    if isinstance(message, Sms):
        return send_sms(message, client=client)
    return send_mail(message, client=client)


def send_mail(mail: Mail, *, client=None) -> Sent:
    raw = build_mime(mail)
    request = {"FromEmailAddress": _sender_address(mail), "Destination": {"ToAddresses": [mail.to]},
               "Content": {"Raw": {"Data": raw}}}
    if mail.configuration_set:
        request["ConfigurationSetName"] = mail.configuration_set
    try:
        response = (client or _client("sesv2")).send_email(**request)
    except Exception as exc:
        raise classify(exc) from exc
    return Sent("email", response["MessageId"])


def send_sms(sms: Sms, *, client=None) -> Sent:
    text = sms.text if len(sms.text) <= SMS_MAX_CHARS else sms.text[:SMS_MAX_CHARS - 1] + "…"
    try:
        response = (client or _client("sns")).publish(
            PhoneNumber=sms.to, Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": sms.kind}})
    except Exception as exc:
        raise classify(exc) from exc
    return Sent("sms", response["MessageId"])


def send_with_backoff(message: Message, *, deadline: float | None = None, client=None,
                      sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                      base: float = 0.2, cap: float = 5.0, max_attempts: int = 8) -> Sent:
    """`send`, retrying throttling with full-jitter exponential backoff until `deadline` (a `clock()`
    value) or `max_attempts`; then the last RetryableSendError is raised for the queue to redeliver."""
    attempt = 0
    while True:
        attempt += 1
        try:
            sent = send(message, client=client)
            return Sent(sent.channel, sent.message_id, attempt)
        except RetryableSendError:
            pause = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
            if attempt >= max_attempts or (deadline is not None and clock() + pause >= deadline):
                raise
            sleep(pause)
