"""The task template tickets become Amazon Connect tasks with (functions/tickets/tasks.py).

`AWS::Connect::TaskTemplate` on the instance, ACTIVE, running the task flow (infra/flows/task.json), which queues
the task for the ticket's team. Its fields are what an agent sees on the task: the name and description
ticket-tasks writes (what the ticket is about, never who the customer is), the ticket's id and, when the agent
desktop has an origin, the link that opens the ticket there. StartTaskContact names the template by id
(TASK_TEMPLATE_ID, cut from the ARN `.../instance/<instance id>/task-template/<template id>`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_connect as connect
from constructs import Construct

FIELDS = (
    ("Name", "NAME", "What the ticket is about"),
    ("Description", "DESCRIPTION", "The ticket's team, priority, category and due time"),
    ("ticket_id", "TEXT", "The ticket this task stands for"),
    ("ticket", "URL", "Opens the ticket in the agent desktop"),
)


class TicketTaskTemplate(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, instance_arn: str, flow_arn: str,
                 name_suffix: str = "") -> None:
        super().__init__(scope, construct_id)
        self.template = connect.CfnTaskTemplate(
            self, "Template",
            instance_arn=instance_arn,
            name=f"Ticket{name_suffix}",
            description="A ticket escalated to a team or opened for a survey follow-up; completing it resolves "
                        "the ticket",
            contact_flow_arn=flow_arn,
            status="ACTIVE",
            fields=[connect.CfnTaskTemplate.FieldProperty(
                id=connect.CfnTaskTemplate.FieldIdentifierProperty(name=name), type=kind, description=text)
                for name, kind, text in FIELDS],
            # An untyped property in the L1 (passed through as written): CloudFormation's own spelling.
            constraints={"RequiredFields": [{"Id": {"Name": "ticket_id"}}]},
        )

    @property
    def template_id(self) -> str:
        return cdk.Fn.select(3, cdk.Fn.split("/", self.template.attr_arn))
