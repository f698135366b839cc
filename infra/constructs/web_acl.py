"""The WAF web ACL of a REST API, with a body-size rule at the API's own largest request.

AWS managed rule groups (IP reputation, common, known bad inputs), a body-size rule and a per-IP rate limit.

The common rule set's SizeRestrictions_BODY blocks any body over 8 KB. The ticket API accepts bodies far larger:
a note of 2,000 accented characters is about 12 KB once JSON-escaped ("\\u00e9" per character), so a valid
request would get a 403 from WAF before the API could read it. That rule is set to count (its matches stay in
the metrics), and our own rule blocks bodies larger than the largest body the API can accept: derived from the
API's OpenAPI document (the resolver's request models and their limits), never written down a second time.

The largest valid body (`largest_request_body`): each string at its maxLength with every character escaped as a
surrogate pair (12 bytes, the worst JSON encoding of one character), each integer at its longest bound, each
enum at its longest value, optional members present, every member on its own indented line. A schema with no
bound (a string without maxLength, an object open to extra members) cannot be sized and is refused at synth.

WAF inspects the first 16 KB of an API Gateway body unless the web ACL raises the limit (KB_32, KB_48, KB_64;
each step beyond 16 KB is billed): the ACL asks for the smallest step that holds the largest valid body, so the
managed rules see all of it, and a body beyond the step is blocked as oversize (it is larger than any valid one).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# Requests per 5 minutes from one IP address before WAF blocks it: 20 a second on average, far above one agent
# floor behind a NAT address and far below what the stage's throttle allows the whole API.
WAF_RATE_LIMIT_PER_IP = 6000
WAF_MANAGED_RULE_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet",
                           "AWSManagedRulesKnownBadInputsRuleSet")
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
COMMON_BODY_SIZE_RULE = "SizeRestrictions_BODY"  # 8 KB: below the API's own limits, counted instead
BODY_SIZE_RULE = "BodyLargerThanTheApiAccepts"
# The body inspection limits WAF offers for API Gateway, in bytes (AssociationConfig, DefaultSizeInspectionLimit).
INSPECTION_LIMITS = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
ESCAPED_CHARACTER_BYTES = len("\\ud83d\\ude00")  # one character outside the BMP, JSON-escaped: 12 bytes
MEMBER_LAYOUT_BYTES = 16  # before each member and closing brace: a line break and indentation, pretty-printed
MEMBER_SEPARATOR = ", "
NAME_SEPARATOR = ": "


class UnboundedSchema(ValueError):
    """A request schema whose largest encoding has no bound, so no body limit can be derived from it."""


def max_json_bytes(schema: Mapping[str, Any], components: Mapping[str, Any], where: str = "body") -> int:
    """The most bytes a JSON value valid under `schema` can take (see the module doc for the encoding)."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return max_json_bytes(components[name], components, where)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return max(max_json_bytes(option, components, where) for option in schema[combinator])
    if "enum" in schema:
        return max(len(json.dumps(value)) for value in schema["enum"])
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    kind = schema.get("type")
    if kind == "object":
        if schema.get("additionalProperties", True) is not False:
            raise UnboundedSchema(f"{where}: an object open to extra members has no largest size")
        members = [len(json.dumps(name)) + len(NAME_SEPARATOR) + MEMBER_LAYOUT_BYTES
                   + max_json_bytes(member, components, f"{where}.{name}")
                   for name, member in schema.get("properties", {}).items()]
        return len("{}") + sum(members) + len(MEMBER_SEPARATOR) * max(len(members) - 1, 0) + MEMBER_LAYOUT_BYTES
    if kind == "array":
        if "maxItems" not in schema:
            raise UnboundedSchema(f"{where}: an array without maxItems has no largest size")
        items = int(schema["maxItems"])
        item = max_json_bytes(schema.get("items", {}), components, f"{where}[]") if items else 0
        return len("[]") + items * (item + MEMBER_LAYOUT_BYTES) + len(MEMBER_SEPARATOR) * max(items - 1, 0)
    if kind == "string":
        if "maxLength" not in schema:
            raise UnboundedSchema(f"{where}: a string without maxLength has no largest size")
        return len('""') + ESCAPED_CHARACTER_BYTES * int(schema["maxLength"])
    if kind == "integer":
        if "minimum" not in schema or "maximum" not in schema:
            raise UnboundedSchema(f"{where}: an integer without minimum and maximum has no largest size")
        return max(len(str(int(schema["minimum"]))), len(str(int(schema["maximum"]))))
    if kind == "boolean":
        return len("false")
    if kind == "null":
        return len("null")
    raise UnboundedSchema(f"{where}: cannot size a schema of type {kind!r}")


def largest_request_body(document: Mapping[str, Any]) -> int:
    """The largest JSON request body (bytes) any operation of an OpenAPI document accepts; 0 if none takes one."""
    components = document.get("components", {}).get("schemas", {})
    largest = 0
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, body in content.items():
                largest = max(largest, max_json_bytes(body["schema"], components, f"{method.upper()} {path} "
                                                                                    f"({media_type})"))
    return largest


def resolver_request_body_limit(resolver: str) -> int:
    """The largest request body of a resolver ("package.module.attribute"), from its OpenAPI document: `openapi()`
    of the resolver's module (JSON text), as `routes()` of the same module gives the CDK API its routes."""
    module_name, _, _ = resolver.rpartition(".")
    module = importlib.import_module(module_name)
    document = getattr(module, "openapi", None)
    if not callable(document):
        raise ValueError(f"module {module_name} has no openapi() giving the resolver's OpenAPI document")
    return largest_request_body(json.loads(document()))


def inspection_limit(body_bytes: int) -> str:
    """The smallest WAF body inspection limit for API Gateway that holds `body_bytes`."""
    for name, limit in INSPECTION_LIMITS.items():
        if body_bytes <= limit:
            return name
    raise ValueError(f"the API accepts bodies of up to {body_bytes} bytes, more than WAF can inspect "
                     f"({max(INSPECTION_LIMITS.values())} bytes): lower the API's limits")


def api_web_acl(scope: Construct, construct_id: str, *, name: str, description: str,
                max_body_bytes: int) -> wafv2.CfnWebACL:
    """A REGIONAL web ACL for a REST API stage whose largest valid request body is `max_body_bytes`."""

    def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)

    def managed(group: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        overrides = ([wafv2.CfnWebACL.RuleActionOverrideProperty(
            name=COMMON_BODY_SIZE_RULE, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))]
            if group == COMMON_RULE_SET else None)
        return wafv2.CfnWebACL.RuleProperty(
            name=group, priority=priority,
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group, rule_action_overrides=overrides)),
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=visibility(group))

    rules = [managed(group, priority) for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS)]
    rules.append(wafv2.CfnWebACL.RuleProperty(
        name=BODY_SIZE_RULE, priority=len(rules),
        statement=wafv2.CfnWebACL.StatementProperty(
            size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                    # A body beyond the inspection limit is larger than any valid one: it matches.
                    body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")),
                comparison_operator="GT", size=max_body_bytes,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")])),
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        visibility_config=visibility(BODY_SIZE_RULE)))
    rules.append(wafv2.CfnWebACL.RuleProperty(
        name="RateLimitPerIp", priority=len(rules),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=WAF_RATE_LIMIT_PER_IP, aggregate_key_type="IP")),
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        visibility_config=visibility("RateLimitPerIp")))
    return wafv2.CfnWebACL(
        scope, construct_id,
        name=name,
        description=description,
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=rules,
        association_config=wafv2.CfnWebACL.AssociationConfigProperty(request_body={
            "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                default_size_inspection_limit=inspection_limit(max_body_bytes))}),
        visibility_config=visibility(name),
    )
