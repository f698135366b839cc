"""The center's phone number: claimed by the stack or an existing one, answering with the inbound flow.

- Claimed (`phone_number_country` + `phone_number_type`, optionally `phone_number_prefix`): one
  AWS::Connect::PhoneNumber on the instance, kept when the stack is deleted (a `cdk destroy` never releases the
  center's number; only the rollback of the deployment that claimed it does: infra/removal.py).
- Existing (`phone_number_arn`): used as it is; the stack never claims or releases it.
- Either way the number answers with the inbound flow (`answer_with`): a custom resource calls Connect's
  AssociatePhoneNumberContactFlow (functions/telephony/number_flow.py: one request per stack operation, adaptive
  retries for Connect's shared 2 requests/s), through CDK's custom-resource Provider, which answers CloudFormation.
  Its function may associate and disassociate this number with this flow and nothing else.
- The contact center makes the number every queue's outbound caller ID (ContactCenter.set_outbound_caller_id).

With no number in the context the stack deploys without one (no inbound call reaches a flow, no outbound call has a
caller ID); `callcenter deploy-check` says so.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra import runtime
from infra.constructs.functions import nag_rendering
from infra.context import PhoneNumberSpec
from infra.nag import acknowledge
from infra.removal import KEEP

HANDLER = "functions.telephony.number_flow.on_event"
ASSOCIATION_ACTIONS = ("connect:AssociatePhoneNumberContactFlow", "connect:DisassociatePhoneNumberContactFlow")
TIMEOUT = cdk.Duration.minutes(3)  # ten attempts with botocore's backoff (at most 20 s each) fit
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + runtime.PYTHON_VERSION.replace(".", "_"))
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[runtime.ARCHITECTURE]


class PhoneLine(Construct):
    """The center's number (see the module doc): `number_arn` for the queues, `answer_with(flow)` for calls."""

    def __init__(self, scope: Construct, construct_id: str, *, spec: PhoneNumberSpec, instance_arn: str,
                 stage: str) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.instance_arn = instance_arn
        self.number: connect.CfnPhoneNumber | None = None
        if spec.claims:
            self.number = connect.CfnPhoneNumber(
                self, "Number",
                target_arn=instance_arn,
                country_code=spec.country,
                type=spec.type,
                prefix=spec.prefix,
                description=f"Contact center {stage}: inbound calls and the queues' outbound caller ID",
            )
            self.number.apply_removal_policy(KEEP)
            self.number_arn: str = self.number.attr_phone_number_arn
            # arn:aws:connect:<region>:<account>:phone-number/<id>
            self.number_id: str = cdk.Fn.select(1, cdk.Fn.split("/", self.number_arn))
        else:
            assert spec.arn is not None and spec.number_id is not None
            self.number_arn = spec.arn
            self.number_id = spec.number_id

    def answer_with(self, flow: connect.CfnContactFlow, *, code: lambda_.Code, log_key: kms.IKey) -> cdk.CustomResource:
        """Associate the number with `flow` (a custom resource); see the module doc."""
        log_group = logs.LogGroup(self, "AssociationLogs", retention=LOG_RETENTION, encryption_key=log_key,
                                  removal_policy=KEEP)
        role = iam.Role(self, "AssociationRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description="Associates the center's phone number with the inbound flow")
        role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                               resources=[log_group.log_group_arn]))
        # The Service Authorization Reference scopes both actions to the phone number and the flow.
        role.add_to_policy(iam.PolicyStatement(actions=list(ASSOCIATION_ACTIONS),
                                               resources=[self.number_arn, flow.attr_contact_flow_arn]))
        function = lambda_.Function(
            self, "Association",
            description="Custom resource: the center's phone number answers with the inbound flow",
            code=code, handler=HANDLER, runtime=RUNTIME, architecture=ARCHITECTURE,
            timeout=TIMEOUT, memory_size=256, log_group=log_group, role=role,
            environment={"POWERTOOLS_SERVICE_NAME": "phone-number-flow"},
        )
        acknowledge(function, "L1", runtime.WHY_NOT_THE_LATEST)
        function.node.default_child.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        provider_logs = logs.LogGroup(self, "ProviderLogs", retention=LOG_RETENTION, encryption_key=log_key,
                                      removal_policy=KEEP)
        provider = cr.Provider(self, "Provider", on_event_handler=function, log_group=provider_logs)
        self._acknowledge_provider(provider, function)
        # As for our own functions: the framework function's DependsOn its role repeats its Role GetAtt (W3005).
        framework = provider.node.find_child("framework-onEvent").node.default_child
        framework.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        instance_id = cdk.Fn.select(1, cdk.Fn.split("/", self.instance_arn))
        association = cdk.CustomResource(
            self, "InboundFlow",
            service_token=provider.service_token,
            resource_type="Custom::PhoneNumberContactFlow",
            properties={
                "InstanceId": instance_id,
                "PhoneNumberId": self.number_id,
                # arn:aws:connect:<region>:<account>:instance/<instance id>/contact-flow/<flow id>
                "ContactFlowId": cdk.Fn.select(3, cdk.Fn.split("/", flow.attr_contact_flow_arn)),
            },
        )
        self.association = association
        return association

    @staticmethod
    def _acknowledge_provider(provider: cr.Provider, function: lambda_.Function) -> None:
        acknowledge(provider, "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                              "AWSLambdaBasicExecutionRole]",
                    "CDK's custom-resource Provider framework function (it only relays CloudFormation's request to "
                    "our handler and answers CloudFormation) is created with the basic execution policy; it runs "
                    "once per stack operation and touches no data.")
        acknowledge(provider, f"IAM5[Resource::{nag_rendering(provider, function.function_arn)}:*]",
                    "The Provider framework may invoke our association function, any of its versions (the ARN with "
                    ":*), and nothing else.")

