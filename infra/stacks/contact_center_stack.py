"""The contact center stack: composes the constructs, each of which owns one concern.

Order matters where values flow one way only: the flows need the flow-invoked functions' ARNs, and the
survey dispatcher and the outreach sender need their flows' ids. Neither is invoked by any flow, so they
are built with the others and SURVEY_FLOW_ID and OUTREACH_FLOW_ID are wired after the flows exist (no
dependency cycle). The REST APIs come after the functions they integrate (ApiSource), with the agents' user
pool whose groups are the policy's queues (the ticket teams); monitoring comes last, as it watches everything.

The center's number (infra/constructs/phone_line.py), when the context names one, is claimed (or taken) right after
the instance, becomes every queue's outbound caller ID, and answers with the inbound flow once the flows exist.
The VIP line's number (`vip_line_number`) reaches the routing function as LINE_NUMBERS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from analytics.kpis import policy_settings
from functions.manifest import check_manifest
from functions.routing.policy import load_policy
from infra.constructs.api import AgentDirectory, FunctionApis
from infra.constructs.chat import ChatApi, ChatSecret, ConnectViews
from infra.constructs.contact_center import ContactCenter
from infra.constructs.contact_lake import ContactLake
from infra.constructs.desktop import AgentDesktop, DesktopSettings
from infra.constructs.flows import ContactFlows
from infra.constructs.functions import ConnectInstance, Functions, KinesisInput
from infra.constructs.messaging import Messaging
from infra.constructs.monitoring import Monitoring
from infra.constructs.phone_line import PhoneLine
from infra.constructs.queue_metrics import QueueMetrics
from infra.constructs.sentiment import SEGMENT_STREAM, LiveSentiment
from infra.constructs.sms_chat_stream import SmsChatStream
from infra.constructs.sms_inbound import SmsInbound
from infra.constructs.tables import Tables
from infra.constructs.task_template import TicketTaskTemplate
from infra.context import VIP_LINE, PhoneNumberSpec
from infra.naming import pascal
from infra.retention import Retention

SURVEY_FLOW = "survey"  # infra/flows/survey.json: the flow the survey calls run
OUTREACH_FLOW = "outreach"  # infra/flows/outreach.json: the flow the outreach calls run
INBOUND_FLOW = "inbound"  # infra/flows/inbound.json: the flow the center's number answers with
SMS_FLOW = "sms"  # infra/flows/sms.json: the flow an SMS contact for an agent runs (started by sms-inbound)
TASK_FLOW = "task"  # infra/flows/task.json: the flow of the ticket task template (queues the task for its team)
CHAT_FLOW = "chat"  # infra/flows/chat.json: the flow web chats start in (chat-start's StartChatContact)


class ManifestError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("functions/manifest.py is inconsistent:\n" + "\n".join(f"  {p}" for p in problems))


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
        sms_origination_identity: str | None = None,
        email_from_identity: str | None = None,
        service_callers: Sequence[str] = (),
        retention: Retention | None = None,
        routing_reserved_concurrency: int | None = None,
        phone_number: PhoneNumberSpec | None = None,
        vip_line_number: str | None = None,
        deletion_protection: bool = False,
        flow_sources: Mapping[str, Path] | None = None,
        desktop: DesktopSettings | None = None,
        chat_site_origin: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        problems = check_manifest()
        if problems:
            raise ManifestError(problems)
        policy = load_policy()
        center = ContactCenter(self, "ContactCenter", policy=policy, stage=stage,
                               instance_arn=connect_instance_arn, instance_alias=connect_instance_alias,
                               retention=retention)
        line = (PhoneLine(self, "PhoneLine", spec=phone_number, instance_arn=center.instance_arn, stage=stage)
                if phone_number else None)
        if line:
            center.set_outbound_caller_id(line.number_arn)
        tables = Tables(self, "Tables", deletion_protection=deletion_protection)
        # Every contact record, streamed into the lake the KPI queries read (Athena; analytics/ locally).
        lake = ContactLake(self, "ContactLake", stage=stage, instance_arn=center.instance_arn,
                           settings=policy_settings(), associate=connect_instance_arn is None)
        messaging = Messaging(self, "Messaging", stage=stage, instance_arn=center.instance_arn)
        # Web chat: the secret the site's backend signs customers with, and the views of the chat flow.
        chat_secret = ChatSecret(self, "ChatSecret", stage=stage)
        views = ConnectViews(self, "Views", instance_arn=center.instance_arn, name_suffix=center.name_suffix)
        # Contact Lens real-time segments (voice and chat) and rules, and the supervisors' live-alerts topic.
        sentiment = LiveSentiment(self, "LiveSentiment", stage=stage, instance_arn=center.instance_arn,
                                  associate=connect_instance_arn is None)
        functions = Functions(
            self, "Functions",
            stage=stage,
            asset_dir=asset_dir,
            tables=tables.by_name,
            queues=messaging.queues,
            event_bus=messaging.event_bus,
            instance=ConnectInstance(arn=center.instance_arn, account=center.instance_account,
                                     queue_arns=tuple(center.queue_arns.values())),
            sms_identity=sms_origination_identity,
            email_from=email_from_identity,
            reserved_concurrency={"routing": routing_reserved_concurrency} if routing_reserved_concurrency else {},
            kinesis_streams={SEGMENT_STREAM: sentiment.segments,
                             "contact-records": KinesisInput(lake.stream, lake.key)},
            wired_environment={
                "QUEUE_ARNS": self.to_json_string(center.queue_arns),
                # No number in the context: the VIP line rule matches no call (policy.json's number is fictional).
                "LINE_NUMBERS": json.dumps({VIP_LINE: [vip_line_number] if vip_line_number else []}),
                # arn:aws:connect:<region>:<account>:instance/<instance id>
                "CONNECT_INSTANCE_ID": cdk.Fn.select(1, cdk.Fn.split("/", center.instance_arn)),
                # The default queue's outbound caller ID places the survey and the outreach calls.
                "SURVEY_QUEUE_ARN": center.queue_arns[policy.default_queue],
                "OUTREACH_CALLER_QUEUE_ARN": center.queue_arns[policy.default_queue],
                "SMS_ORIGINATION_IDENTITY": sms_origination_identity or "",
                "EMAIL_FROM_IDENTITY": email_from_identity or "",
                "CHAT_IDENTITY_SECRET_ARN": chat_secret.secret.secret_arn,
                "SUPERVISOR_ALERTS_TOPIC_ARN": sentiment.topic.topic_arn,
            },
        )
        for reader in ("routing", "chat-start"):
            chat_secret.grant_read(functions.by_name[reader])
        sentiment.allow_publish({name: fn for name, fn in functions.by_name.items()
                                 if "SUPERVISOR_ALERTS_TOPIC_ARN" in functions.specs[name].wired_environment})
        flows = ContactFlows(
            self, "Flows",
            instance_arn=center.instance_arn,
            policy=policy,
            function_arns={name: fn.function_arn for name, fn in functions.connect_invoked.items()},
            queue_arns=center.queue_arns,
            hours_arns=center.hours_arns,
            depends_on=list(functions.associations.values()),
            name_suffix=center.name_suffix,
            sources=flow_sources,
            view_arns=views.arns,
        )
        if line:
            line.answer_with(flows.by_name[INBOUND_FLOW], code=functions.code, log_key=functions.log_key)
        # The domain bus takes events from the functions that publish them, and from no other principal.
        messaging.restrict_publishers([role.role_arn for role in functions.event_publishers.values()])
        functions.wire({"SURVEY_FLOW_ID": flows.flow_id(SURVEY_FLOW), "OUTREACH_FLOW_ID": flows.flow_id(OUTREACH_FLOW),
                        "CHAT_FLOW_ID": flows.flow_id(CHAT_FLOW)})
        task_template = TicketTaskTemplate(self, "TicketTasks", instance_arn=center.instance_arn,
                                           flow_arn=flows.flow_arns[TASK_FLOW], name_suffix=center.name_suffix)
        functions.wire({"TASK_TEMPLATE_ID": task_template.template_id, "SMS_FLOW_ID": flows.flow_id(SMS_FLOW)})
        sms_in = SmsInbound(self, "SmsInbound", stage=stage, queue=messaging.queues["sms-inbound"])
        chat_stream = SmsChatStream(self, "SmsChatStream", stage=stage, queue=messaging.queues["sms-chat-stream"])
        functions.wire({"CHAT_STREAM_TOPIC_ARN": chat_stream.topic.topic_arn})
        # The ticket teams are the routing policy's queues: one Cognito group per team.
        agents = AgentDirectory(self, "Agents", stage=stage, teams=list(policy.queues),
                                deletion_protection=deletion_protection)
        apis = FunctionApis(self, "Apis", stage=stage, functions=functions.api_backed, directory=agents,
                            service_callers=service_callers)
        tickets_api = apis.apis["tickets"]
        chat_api = ChatApi(self, "ChatApi", stage=stage, function=functions.by_name["chat-start"],
                           account_setting=apis.cloudwatch_account())
        desk = AgentDesktop(self, "Desktop", stage=stage, api=tickets_api, apis=apis, directory=agents,
                            instance_arn=center.instance_arn,
                            instance_alias=connect_instance_alias or (
                                None if connect_instance_arn else center.default_alias(stage)),
                            retention=retention or Retention(), settings=desktop or DesktopSettings(),
                            chat_api=chat_api)
        functions.wire({"DESKTOP_ORIGIN": desk.origin})
        # Chats start from the desktop's chat page and, when the context names it, the company site's pages.
        chat_origins = [desk.origin, *([chat_site_origin] if chat_site_origin else [])]
        chat_api.allow_browser_origins(chat_origins)
        functions.wire({"CHAT_SITE_ORIGIN": cdk.Fn.join(",", chat_origins)})
        functions.require_wired()
        monitoring = Monitoring(self, "Monitoring", functions=functions.by_name, messaging=messaging,
                                schedules=functions.schedules, stream_consumers=functions.stream_consumers,
                                apis=apis.apis, stage=stage)
        lake.alarm_to(monitoring.topic)
        sentiment.alarm_to(monitoring.topic)
        QueueMetrics(self, "QueueMetrics", policy=policy, dashboard=monitoring.dashboard, topic=monitoring.topic)
        cdk.CfnOutput(self, "InstanceArn", value=center.instance_arn)
        # What `callcenter smoke-test` checks after a deployment.
        cdk.CfnOutput(self, "ContactFlowArns", value=self.to_json_string(flows.flow_arns),
                      description="The contact flows, by name (JSON)")
        cdk.CfnOutput(self, "OutboundQueueArn", value=center.queue_arns[policy.default_queue],
                      description="The queue whose caller ID places the survey and outreach calls")
        if line:
            cdk.CfnOutput(self, "PhoneNumberArn", value=line.number_arn,
                          description="The center's number: answers with the inbound flow, caller ID of every queue")
        cdk.CfnOutput(self, "ContactRecordStreamArn", value=lake.stream.stream_arn,
                      description="The Kinesis stream Connect's contact records go to (the lake's source)")
        cdk.CfnOutput(self, "SegmentStreamArn", value=sentiment.stream.stream_arn,
                      description="The Kinesis stream Contact Lens real-time segments (voice and chat) go to")
        cdk.CfnOutput(self, "SupervisorAlertsTopicArn", value=sentiment.topic.topic_arn,
                      description="Live alerts for supervisors (subscribe a pager, chat or email)")
        cdk.CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        cdk.CfnOutput(self, "SmsInboundTopicArn", value=sms_in.topic.topic_arn,
                      description="Two-way SMS destination of the SMS origination identity (README, Deploying)")
        cdk.CfnOutput(self, "EventBusName", value=messaging.event_bus.event_bus_name)
        for name, api in apis.apis.items():
            cdk.CfnOutput(self, f"{pascal(name)}ApiUrl", value=api.stage.url_for_path("/"),
                          description=f"The {name} API; agents' routes as declared, services' under the prefix")
        cdk.CfnOutput(self, "ChatStartUrl", value=chat_api.url,
                      description="POST /chat/start: the company site's chat pages start chats here")
        cdk.CfnOutput(self, "ChatIdentitySecretArn", value=chat_secret.secret.secret_arn,
                      description="The secret the site's backend signs signed-in customers' chat claims with")
        cdk.CfnOutput(self, "AgentUserPoolId", value=agents.user_pool.user_pool_id)
        cdk.CfnOutput(self, "AgentDesktopClientId", value=desk.client.user_pool_client_id)
        cdk.CfnOutput(self, "AgentDesktopUrl", value=desk.origin + "/", description="The agent desktop")
