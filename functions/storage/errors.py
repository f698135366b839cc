"""What DynamoDB failures look like to the data-access modules, in one place."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

#: Everything PynamoDB/botocore raise when DynamoDB refuses or does not answer a request.
STORE_ERRORS = (PynamoDBException, BotoCoreError, ClientError)


def condition_failed(exc: Exception) -> bool:
    """True when DynamoDB refused a write because its condition did not hold (someone else won)."""
    if isinstance(exc, TransactWriteError):
        return any(reason is not None and reason.code == "ConditionalCheckFailed"
                   for reason in exc.cancellation_reasons)
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def store_error_code(exc: Exception) -> str:
    """DynamoDB's error code, or the exception's type name (never its text, which may hold key values)."""
    return getattr(exc, "cause_response_code", None) or type(exc).__name__
