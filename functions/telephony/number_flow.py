"""Custom resource: the center's phone number answers with the inbound flow.

CloudFormation can claim a number (AWS::Connect::PhoneNumber) and create a flow, but has no resource that joins
them: that is Connect's AssociatePhoneNumberContactFlow API. infra/constructs/phone_line.py runs this handler
through CDK's custom-resource Provider (which answers CloudFormation), with the properties

  InstanceId     the Amazon Connect instance id
  PhoneNumberId  the number's id (the last part of its ARN)
  ContactFlowId  the inbound flow's id

- Create and Update associate the number with the flow (a number answers with one flow: associating again
  replaces the previous one). The physical id is the number's id, so a new flow is an update of the same
  association and a new number replaces it (CloudFormation then deletes the old one: that number is let go).
- Delete disassociates the number (it stays claimed: the number itself is retained, infra/removal.py); a number
  or association already gone is not an error.

Connect's APIs share a small per-account rate (2 requests/s, burst 5, by default) with every other caller. This
makes one request per stack operation, through botocore's adaptive retry mode: a throttled request is retried
with exponential backoff and jitter, and the client slows its own sending rate after a throttle, up to
MAX_ATTEMPTS attempts inside the function's timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from functions.common.aws import error_code, make_client
from functions.common.observability import logger

MAX_ATTEMPTS = 10  # botocore's backoff is capped at 20 s a wait: well inside the function's timeout
REQUIRED = ("InstanceId", "PhoneNumberId", "ContactFlowId")
GONE = frozenset({"ResourceNotFoundException"})

ClientFactory = Callable[[], BaseClient]


class AssociationRequestError(ValueError):
    """The custom resource's properties are missing or malformed (a defect of the template)."""


@cache
def connect_client() -> BaseClient:
    return make_client("connect", Config(connect_timeout=5, read_timeout=20,
                                         retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS}))


def _properties(event: dict[str, Any]) -> dict[str, str]:
    properties = event.get("ResourceProperties") or {}
    missing = [key for key in REQUIRED if not isinstance(properties.get(key), str) or not properties[key]]
    if missing:
        raise AssociationRequestError(f"missing resource properties: {', '.join(missing)}")
    return {key: properties[key] for key in REQUIRED}


def on_event(event: dict[str, Any], _context: Any = None, client: ClientFactory = connect_client) -> dict[str, str]:
    """Handle one CloudFormation request (Create, Update, Delete) and return the physical resource id."""
    request = event.get("RequestType")
    properties = _properties(event)
    number, instance, flow = properties["PhoneNumberId"], properties["InstanceId"], properties["ContactFlowId"]
    if request in ("Create", "Update"):
        client().associate_phone_number_contact_flow(PhoneNumberId=number, InstanceId=instance, ContactFlowId=flow)
        logger.info("phone number associated with the flow", extra={"request": request, "contact_flow_id": flow})
        return {"PhysicalResourceId": number}
    if request == "Delete":
        try:
            client().disassociate_phone_number_contact_flow(PhoneNumberId=number, InstanceId=instance)
        except ClientError as exc:
            if error_code(exc) not in GONE:
                raise
            logger.info("phone number or its association already gone", extra={"error": error_code(exc)})
        else:
            logger.info("phone number disassociated from its flow")
        return {"PhysicalResourceId": event.get("PhysicalResourceId") or number}
    raise AssociationRequestError(f"unknown RequestType {request!r}")
