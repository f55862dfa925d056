"""String and collection limits of DESIGN.md section 4, as reusable annotated types.

A value over its limit is refused at the edge with 422 `too_long` naming the field, so
nothing is stored that a later read (or DynamoDB's 400 KB item limit) cannot serve.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

IDENTIFIER_MAX = 256
NAME_MAX = 200
ANSWER_MAX = 2_000
TEXT_MAX = 10_000
CUSTOM_FIELDS_MAX = 100
LIST_MAX = 1_000

Identifier = Annotated[str, Meta(min_length=1, max_length=IDENTIFIER_MAX, description="Unique per event: an email, customer, employee or user number.")]
Name = Annotated[str, Meta(max_length=NAME_MAX)]
RequiredName = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Answer = Annotated[str, Meta(max_length=ANSWER_MAX)]
Text = Annotated[str, Meta(max_length=TEXT_MAX)]
Language = Annotated[str, Meta(pattern="^(de|fr|en|it)$", description="de, fr, en or it")]
# No `format: date-time` either: RFC 3339 checkers and Python's datetime.fromisoformat, which we read with, disagree
# both ways (a space for the T, +0200, a lower-case z), so the description names the rule instead.
DateTime = Annotated[str, Meta(max_length=64, description="ISO-8601 date-time with a UTC offset, e.g. 2027-06-01T18:00:00+02:00, "
                               "as Python's datetime.fromisoformat reads it; 422 `invalid_field` otherwise")]
# What `fields.normalise_email` accepts (email-validator's syntax rules, no DNS lookup), else 422 `invalid_email`.
# No JSON Schema `format: email`: its checkers draw the line elsewhere (quoted or IP-literal addresses, a
# domain without a dot), so the document would promise what we refuse or refuse what we accept.
EmailAddress = Annotated[str, Meta(max_length=254, description="An email address, checked as email-validator does (no DNS "
                                   "lookup) and stored normalised; 422 `invalid_email` otherwise.")]

# DynamoDB stores a number of magnitude 1e-130 to 9.99...e125, or 0, with 38 digits at most: an answer outside
# is refused, never rounded (a stored item must stay storable). The bounds are JSON Schema's; msgspec cannot
# check `not`, so the edge does (edge._storable).
NUMBER_MAX = 1e125
NUMBER_TINY = 1e-130
AnswerNumber = Annotated[float, Meta(ge=-NUMBER_MAX, le=NUMBER_MAX, description="0, or a magnitude from 1e-130 to 1e125",
                                     extra_json_schema={"not": {"allOf": [{"exclusiveMinimum": -NUMBER_TINY, "exclusiveMaximum": NUMBER_TINY},
                                                                          {"not": {"const": 0}}]}})]

AnswerInteger = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]  # 64 bits, within DynamoDB's 38 digits


def storable_number(value: float) -> bool:
    return value == 0 or NUMBER_TINY <= abs(value) <= NUMBER_MAX


# A form answer: text, a number, a yes/no, or the chosen values of a multiselect.
AnswerValue = Answer | AnswerInteger | AnswerNumber | bool | list[Answer] | None
Answers = Annotated[dict[Annotated[str, Meta(min_length=1, max_length=64)], AnswerValue], Meta(max_length=CUSTOM_FIELDS_MAX)]


class Error(Struct):
    """What every function answers on failure: a machine code, a sentence, and the field at fault."""

    code: str
    message: str
    field: str | None = None
    detail: dict | None = None


class ErrorBody(Struct):
    error: Error


class GatewayMessage(Struct):
    """API Gateway's own answer (authorizer refusals, unknown routes), which an HTTP API cannot reshape."""

    message: str
