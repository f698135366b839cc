"""botocore clients answered by Stubber, one per service, for checks that talk to an AWS account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.session import get_session
from botocore.stub import Stubber


class StubbedAccount:
    """`client(service)` for the code under test; `stub(service)` to queue that service's answers."""

    def __init__(self) -> None:
        self._session = get_session()
        self._clients: dict[str, Any] = {}
        self._stubbers: dict[str, Stubber] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self._session.create_client(service, region_name="us-east-1", aws_access_key_id="x",
                                                 aws_secret_access_key="x")
            stubber = Stubber(client)
            stubber.activate()
            self._clients[service], self._stubbers[service] = client, stubber
        return self._clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self._stubbers[service]

    def assert_all_answered(self) -> None:
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()

    @property
    def for_code(self) -> Callable[[str], Any]:
        return self.client
