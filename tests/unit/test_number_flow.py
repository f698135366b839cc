"""The custom resource that makes the center's number answer with the inbound flow (functions/telephony)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.session import get_session
from botocore.stub import Stubber

from functions.telephony.number_flow import MAX_ATTEMPTS, AssociationRequestError, connect_client, on_event

PROPERTIES = {"InstanceId": "0c5a4a23-7a4b-4c5e-9d1a-3f1b2c3d4e5f", "PhoneNumberId": "5f1c2b3a-num",
              "ContactFlowId": "flow-inbound"}


@pytest.fixture
def connect() -> Iterator[tuple[Any, Stubber]]:
    client = get_session().create_client("connect", region_name="us-east-1", aws_access_key_id="x",
                                         aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _event(request: str, **overrides: Any) -> dict[str, Any]:
    return {"RequestType": request, "ResourceProperties": {**PROPERTIES, **overrides}, "PhysicalResourceId": None}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_associate_the_number_with_the_flow(connect: tuple[Any, Stubber], request_type: str) -> None:
    client, stubber = connect
    stubber.add_response("associate_phone_number_contact_flow", {}, {
        "PhoneNumberId": "5f1c2b3a-num", "InstanceId": PROPERTIES["InstanceId"], "ContactFlowId": "flow-inbound"})
    result = on_event(_event(request_type), client=lambda: client)
    # The physical id is the number: a new flow updates the association, a new number replaces it
    assert result == {"PhysicalResourceId": "5f1c2b3a-num"}


def test_delete_disassociates_the_number_it_was_given(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    stubber.add_response("disassociate_phone_number_contact_flow", {},
                         {"PhoneNumberId": "5f1c2b3a-num", "InstanceId": PROPERTIES["InstanceId"]})
    event = {**_event("Delete"), "PhysicalResourceId": "5f1c2b3a-num"}
    assert on_event(event, client=lambda: client) == {"PhysicalResourceId": "5f1c2b3a-num"}


def test_delete_of_a_number_or_association_already_gone_succeeds(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    stubber.add_client_error("disassociate_phone_number_contact_flow", "ResourceNotFoundException",
                             http_status_code=404)
    assert on_event({**_event("Delete"), "PhysicalResourceId": "5f1c2b3a-num"}, client=lambda: client)


def test_other_failures_fail_the_stack_operation(connect: tuple[Any, Stubber]) -> None:
    client, stubber = connect
    stubber.add_client_error("associate_phone_number_contact_flow", "AccessDeniedException", http_status_code=403)
    with pytest.raises(ClientError, match="AccessDenied"):
        on_event(_event("Create"), client=lambda: client)


def test_missing_properties_are_a_clear_error_and_call_nothing(connect: tuple[Any, Stubber]) -> None:
    client, _ = connect
    with pytest.raises(AssociationRequestError, match="ContactFlowId"):
        on_event(_event("Create", ContactFlowId=""), client=lambda: client)


def test_the_client_backs_off_and_paces_itself_under_connects_shared_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    connect_client.cache_clear()
    try:
        config = connect_client().meta.config
    finally:
        connect_client.cache_clear()
    # adaptive: exponential backoff with jitter on throttles, and a client-side rate limit after one
    assert config.retries["mode"] == "adaptive"
    assert config.retries["total_max_attempts"] == MAX_ATTEMPTS >= 5
