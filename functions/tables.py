"""Every DynamoDB table of the product, declared once: the catalog.

CDK (infra/constructs/tables.py) builds each table from `table_schema(model)`; the local backend and the
tests create the same tables from the same models. This module imports every feature's store, so no
Lambda handler imports it: a handler names the models it uses (functions/storage/tables.py binds them).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from pynamodb.models import Model

from functions.insights.store import InsightItem
from functions.outreach.store import ContactCapItem, OutreachItem
from functions.profiles.store import ProfileItem
from functions.sms.conversation_store import SmsConversationItem
from functions.storage.tables import bind_table_names, table_env_var
from functions.surveys.store import FollowUpItem, SurveyItem
from functions.tickets.notification_store import TicketNotificationItem
from functions.tickets.store import TicketItem
from functions.tickets.task_store import TicketTaskItem


class TableSpec(msgspec.Struct, frozen=True):
    logical_name: str  # used in CDK construct ids and in the function manifest
    model: type[Model]

    @property
    def env_var(self) -> str:
        """The environment variable that carries the physical table name (declared on the model)."""
        return table_env_var(self.model)


TABLES: dict[str, TableSpec] = {spec.logical_name: spec for spec in (
    TableSpec("profiles", ProfileItem),
    TableSpec("surveys", SurveyItem),
    TableSpec("followups", FollowUpItem),
    TableSpec("outreach", OutreachItem),
    TableSpec("outreach_caps", ContactCapItem),
    TableSpec("tickets", TicketItem),
    TableSpec("ticket_notifications", TicketNotificationItem),
    TableSpec("insights", InsightItem),
    TableSpec("ticket_tasks", TicketTaskItem),
    TableSpec("sms_conversations", SmsConversationItem),
)}


def bind_tables(environ: Mapping[str, str] | None = None) -> None:
    """Point every model at the table named in its environment variable (if set)."""
    bind_table_names((spec.model for spec in TABLES.values()), environ)
