"""The contact center stack: composes the constructs, each of which owns one concern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from functions.routing.policy import load_policy
from infra.constructs.contact_center import ContactCenter
from infra.constructs.flows import ContactFlows
from infra.constructs.functions import ConnectFunctions
from infra.constructs.monitoring import Monitoring
from infra.constructs.tables import Tables


class ContactCenterStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        asset_dir: Path,
        connect_instance_arn: str | None = None,
        connect_instance_alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        policy = load_policy()
        center = ContactCenter(self, "ContactCenter", policy=policy, stage=stage,
                               instance_arn=connect_instance_arn, instance_alias=connect_instance_alias)
        tables = Tables(self, "Tables")
        functions = ConnectFunctions(
            self, "Functions",
            asset_dir=asset_dir,
            tables=tables.by_name,
            wired_environment={"QUEUE_ARNS": self.to_json_string(center.queue_arns)},
            instance_arn=center.instance_arn,
            instance_account=center.instance_account,
        )
        ContactFlows(
            self, "Flows",
            instance_arn=center.instance_arn,
            policy=policy,
            function_arns={name: fn.function_arn for name, fn in functions.by_name.items()},
            queue_arns=center.queue_arns,
            hours_arns=center.hours_arns,
            depends_on=list(functions.associations.values()),
            name_suffix=center.name_suffix,
        )
        monitoring = Monitoring(self, "Monitoring", functions=functions.by_name, stage=stage)
        cdk.CfnOutput(self, "InstanceArn", value=center.instance_arn)
        cdk.CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
