"""The CDK app: one contact center stack per stage, checked by cdk-nag (AwsSolutions) at synthesis.

Offline and environment-agnostic: no context lookups, no account or region needed to synthesize.
Context (cdk.json or -c): `stage` (default "dev"), `connect_instance_arn` (use an existing instance),
`connect_instance_alias` (the alias of the instance this stack creates), `sms_origination_identity`
(the End User Messaging phone number or pool SMS surveys and outreach are sent from, as an id or ARN; unset or ""
disables SMS (surveys and outreach) and grants no SMS permission), `email_from_identity` (the From address of ticket
progress e-mails, verified in SES itself or at a verified domain; unset or "" disables e-mail and grants no SES
permission), `service_callers` (the IAM role ARNs allowed to call the tickets API's /service routes, a list in
cdk.json or comma-separated with -c; unset or "": nobody), and the retention periods of infra/retention.py
(`recording_retention_days`, `access_log_retention_days`, `flow_log_retention_days`), and
`routing_reserved_concurrency` (Lambda concurrency reserved for the routing function, so the batch
consumers can never take what calls need; unset or "" reserves nothing: a new account's concurrency quota may refuse
any reservation; docs/capacity.md sizes it), and the telephony and protection keys of infra/context.py
(`phone_number_arn` or `phone_number_country` + `phone_number_type` [+ `phone_number_prefix`], `vip_line_number`,
`deletion_protection`), and the agent desktop's (infra/constructs/desktop.py): `desktop_domain_name` with
`desktop_certificate_arn` (ACM, us-east-1), `desktop_web_acl_arn` (a CLOUDFRONT-scope WAF web ACL, us-east-1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.bundling import build_lambda_asset
from infra.constructs.desktop import DesktopSettings
from infra.context import chat_site_origin, deletion_protection, phone_number, vip_line_number
from infra.retention import Retention
from infra.stacks.contact_center_stack import ContactCenterStack

SERVICE_CALLERS_KEY = "service_callers"
STAGE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
# Feature flags set in code, so `python app.py` (which does not read cdk.json) and `cdk synth` agree.
FEATURE_FLAGS: dict[str, Any] = {
    # Grant S3 log delivery through the logs bucket's policy rather than the legacy ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def stack_name(stage: str) -> str:
    return f"ContactCenter-{stage}"


def _context(app: cdk.App, key: str) -> str | None:
    """A context value; unset and "" (the cdk.json defaults) both mean None."""
    value = app.node.try_get_context(key)
    if value is None:
        return None
    return str(value).strip() or None


def _context_list(app: cdk.App, key: str) -> list[str]:
    """A context list: a JSON list (cdk.json) or a comma-separated string (-c key=a,b); unset or "" is empty."""
    value = app.node.try_get_context(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _positive_int(app: cdk.App, key: str) -> int | None:
    """A whole-number context value above 0; unset or "" is None; anything else is a clear error."""
    value = _context(app, key)
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"context {key} must be a whole number above 0, got {value!r}")
    return int(value)


def create_app(*, context: dict[str, Any] | None = None, outdir: str | None = None,
               asset_dir: Path | None = None, flow_sources: Mapping[str, Path] | None = None) -> cdk.App:
    """Build the app (not yet synthesized); the Lambda asset is built unless `asset_dir` is given.

    `flow_sources` (flow name -> file) replaces infra/flows/*.json, for tests.
    """
    app = cdk.App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    stage = _context(app, "stage") or "dev"
    if not STAGE.match(stage):
        raise ValueError(f"stage {stage!r} must match {STAGE.pattern} (it is used in resource names)")
    stack = ContactCenterStack(
        app, stack_name(stage),
        stage=stage,
        asset_dir=asset_dir or build_lambda_asset(),
        connect_instance_arn=_context(app, "connect_instance_arn"),
        connect_instance_alias=_context(app, "connect_instance_alias"),
        sms_origination_identity=_context(app, "sms_origination_identity"),
        email_from_identity=_context(app, "email_from_identity"),
        service_callers=_context_list(app, SERVICE_CALLERS_KEY),
        retention=Retention.from_context(lambda key: _context(app, key)),
        routing_reserved_concurrency=_positive_int(app, "routing_reserved_concurrency"),
        phone_number=phone_number(lambda key: _context(app, key)),
        vip_line_number=vip_line_number(lambda key: _context(app, key)),
        deletion_protection=deletion_protection(lambda key: _context(app, key)),
        chat_site_origin=chat_site_origin(lambda key: _context(app, key)),
        flow_sources=flow_sources,
        desktop=DesktopSettings(domain_name=_context(app, "desktop_domain_name"),
                                certificate_arn=_context(app, "desktop_certificate_arn"),
                                web_acl_arn=_context(app, "desktop_web_acl_arn")),
        description=f"Serverless contact center on Amazon Connect ({stage})",
    )
    cdk.Tags.of(stack).add("project", "serverless-contact-center")
    cdk.Tags.of(stack).add("stage", stage)
    # Any finding not acknowledged (with a reason, at the construct concerned) fails app.synth().
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
