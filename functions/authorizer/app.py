"""Lambda authorizer: resolves a Bearer key to its scope (organiser workspace or one event's door)."""

import guestlist.lean_imports  # noqa: F401  (first: Powertools packages load lean, see that module)

# isort: split

import pynamodb.models  # noqa: F401  (then botocore and PynamoDB, at the top of the stack: see lean_imports)

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)

from guestlist.access import may_call
from guestlist.keys import bearer_key, resolve_key
from guestlist.observability import new_metrics, new_tracer

logger = Logger()
metrics = new_metrics()
tracer = new_tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=APIGatewayAuthorizerEventV2)
def lambda_handler(event: APIGatewayAuthorizerEventV2, context):
    key = bearer_key(event.headers.get("authorization"))
    scope = resolve_key(key) if key else None
    if scope is None or not may_call(scope, event.route_key, event.path_parameters or {}):
        logger.info("refused", extra={"route": event.route_key, "known_key": scope is not None})
        return APIGatewayAuthorizerResponseV2(authorize=False).asdict()
    return APIGatewayAuthorizerResponseV2(authorize=True, context=scope.as_context()).asdict()
