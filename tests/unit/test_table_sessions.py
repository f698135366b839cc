"""PynamoDB's connections share the process's botocore session on the main thread (functions/storage/tables.py)."""

from __future__ import annotations

import threading
from typing import Any

from botocore.session import Session

from functions.common.aws import botocore_session
from functions.insights.store import InsightItem
from functions.profiles.store import ProfileItem
from functions.storage import tables
from functions.tickets.store import TicketItem


def _session_of(model: Any) -> Session:
    return model._get_connection().connection.session


def test_every_model_uses_the_functions_session_on_the_main_thread() -> None:
    # Given three models, each with its own connection (as a handler that reads three tables has)
    for model in (TicketItem, ProfileItem, InsightItem):
        model._connection = None
    # Then each connection's session is the functions' one: the endpoints and service models load once
    sessions = {id(_session_of(model)) for model in (TicketItem, ProfileItem, InsightItem)}
    assert sessions == {id(botocore_session())}
    assert tables.pynamodb_connection.get_session is tables._thread_session


def test_another_thread_gets_its_own_session_reading_through_the_same_loader() -> None:
    seen: list[Session] = []

    def work() -> None:
        # a connection's session is per thread in PynamoDB: a fresh connection object on this thread
        TicketItem._connection = None
        seen.append(_session_of(TicketItem))
        seen.append(tables._thread_session())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    TicketItem._connection = None
    # Then that thread's session is not the main thread's (sessions are not shared between threads), is the same
    # for every connection made on it, and loads its data through the process's loader
    assert seen[0] is seen[1]
    assert seen[0] is not botocore_session()
    assert seen[0].get_component("data_loader") is botocore_session().get_component("data_loader")
    endpoints = seen[0].get_component("data_loader").load_data("endpoints")
    assert endpoints is botocore_session().get_component("data_loader").load_data("endpoints")
