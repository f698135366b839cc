"""The ticket API's route table: each route's method, path, parameters, body model and answers, declared once.

`RouteTable.declare` registers a route with Powertools' resolver (or a Router) and records it. The function it
registers reads the request before the route runs, against the same declaration:
- a route with a body: a Content-Type other than JSON is 415 (`unsupported_content_type`); a body that is not
  JSON, or not UTF-8, is 400 (`malformed_json`);
- then every path and query parameter and every body field is checked, and all the problems found are one 422
  (`validation_error`) whose `detail` has an entry per problem: `{"loc": ["body", "expected_version"], "msg":
  "body.expected_version: Field required", "type": "missing"}`. Types: `missing` (a required field absent, or
  no body), `extra_forbidden` (a field the model does not declare), `invalid` (the wrong type, out of range, not
  matching its pattern: the message says which, in msgspec's words), `object_required` (a body that is not a
  JSON object), `json_invalid` (in the 400).
msgspec decodes the body into the route's request Struct; it stops at the first error, so only a body it refuses
is checked again field by field (each field's value converted to the field's type on its own) to list them all.
Query parameters are read as msgspec reads strings (`strict=False`: "true"/"false"/"1"/"0" for a boolean).

`openapi_document` builds the OpenAPI 3.1 document from the table and the models' JSON Schemas
(`msgspec.json.schema_components`): the single source of the routes (`routes()` of functions/tickets/api.py, read
by the CDK API) and of WAF's body limit (infra/constructs/web_acl.py).
"""

from __future__ import annotations

import enum
import functools
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import msgspec

from functions.tickets.api_models import ErrorBody, ErrorDetail

JSON = "application/json"
REF_TEMPLATE = "#/components/schemas/{name}"
ERROR_ANSWERS = {
    400: "The body is not valid JSON", 401: "No identity, or the wrong kind for this path",
    403: "A restricted ticket of another team, or a change outside the ticket's team",
    404: "Unknown ticket, customer or team",
    409: "version_conflict (current_version given: read again, retry; a note: send it again) or "
         "transition_not_allowed",
    415: "The body is not sent as application/json",
    422: "A field is missing, of the wrong type or out of range; the change makes no sense here "
         "(invalid_change); the ticket is too full for it (ticket_full); a request_id reused for another "
         "request (request_id_reused)",
    503: "The store did not answer; retry after Retry-After seconds",
}
ALWAYS = (401, 422, 503)  # every route: authentication, its parameters, its store
WITH_BODY = (400, 415)  # routes that read a body
_AT = re.compile(r" - at `\$[^`]*`$")


class Param(msgspec.Struct, frozen=True):
    """A path or query parameter: its name and msgspec type (with its Meta bounds and description)."""

    name: str
    type: Any
    where: Literal["path", "query"] = "path"
    default: Any = None  # a query parameter's value when absent


class Answer(msgspec.Struct, frozen=True):
    status: int
    description: str
    model: Any = None


class RouteSpec(msgspec.Struct, frozen=True):
    method: str
    path: str  # the OpenAPI / API Gateway form: /tickets/{ticket_id}
    summary: str
    operation_id: str
    params: tuple[Param, ...]
    body: Any  # the request Struct, or None
    answers: tuple[Answer, ...]


class RequestRefused(Exception):
    """The request cannot be read or is not valid: status, code and the problems (ErrorDetail) found."""

    def __init__(self, status: int, code: str, problems: list[ErrorDetail]) -> None:
        super().__init__("; ".join(p.msg for p in problems) or code)
        self.status, self.code, self.problems = status, code, problems

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, message=str(self), detail=self.problems or None)


def _problem(loc: tuple[str | int, ...], reason: str, kind: str) -> ErrorDetail:
    where = ".".join(str(part) for part in loc)
    return ErrorDetail(loc=list(loc), msg=f"{where}: {reason}", type=kind)


def _malformed(reason: object) -> RequestRefused:
    return RequestRefused(400, "malformed_json", [
        ErrorDetail(loc=["body"], msg=f"the body is not valid JSON ({reason})", type="json_invalid")])


def _choices(kind: Any) -> list[Any]:
    """The values a Literal or Enum type allows ([] for any other type)."""
    if typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return [member.value for member in kind]
    return list(typing.get_args(kind)) if typing.get_origin(kind) is Literal else []


def _invalid(loc: tuple[str | int, ...], kind: Any, exc: msgspec.ValidationError) -> ErrorDetail:
    reason = _AT.sub("", str(exc))
    choices = _choices(kind)
    if choices:
        reason += "; expected one of " + ", ".join(repr(choice) for choice in choices)
    return _problem(loc, reason, "invalid")


def body_problems(data: object, model: type[msgspec.Struct]) -> list[ErrorDetail]:
    """Every problem of a decoded body for `model`, field by field, in the model's field order then unknown
    fields; [] when only a rule across fields (the model's __post_init__) refused it."""
    if not isinstance(data, dict):
        return [_problem(("body",), "must be a JSON object", "object_required")]
    problems = []
    declared = set()
    for field in msgspec.structs.fields(model):
        declared.add(field.encode_name)
        if field.encode_name not in data:
            if field.required:
                problems.append(_problem(("body", field.encode_name), "Field required", "missing"))
            continue
        try:
            msgspec.convert(data[field.encode_name], field.type)
        except msgspec.ValidationError as exc:
            problems.append(_invalid(("body", field.encode_name), field.type, exc))
    problems += [_problem(("body", str(name)), "unknown field", "extra_forbidden")
                 for name in data if name not in declared]
    return problems


def read_body(event: Any, model: type[msgspec.Struct]) -> tuple[Any, list[ErrorDetail]]:
    """The request body as `model`, or (None, its problems); RequestRefused for a non-JSON body (415, 400)."""
    content_type = str(event.headers.get("content-type") or "").strip().lower()
    if content_type and not content_type.startswith(JSON):
        raise RequestRefused(415, "unsupported_content_type", [])
    try:
        text = event.decoded_body
    except ValueError as exc:  # base64 that is not, or bytes that are not UTF-8
        raise _malformed(exc) from None
    if not text:
        return None, [_problem(("body",), "a JSON object is required", "missing")]
    try:
        return msgspec.json.decode(text, type=model), []
    except msgspec.ValidationError as exc:
        refused = exc
    except msgspec.DecodeError as exc:
        raise _malformed(exc) from None
    problems = body_problems(msgspec.json.decode(text), model)
    return None, problems or [_problem(("body",), _AT.sub("", str(refused)), "invalid")]


def read_params(event: Any, path_args: Mapping[str, str], params: Iterable[Param]) -> tuple[dict[str, Any],
                                                                                             list[ErrorDetail]]:
    """The route's path and query parameters, converted to their types, and the problems found."""
    values: dict[str, Any] = {}
    problems = []
    query = event.query_string_parameters or {}
    for param in params:
        raw = path_args.get(param.name) if param.where == "path" else query.get(param.name)
        if raw is None:
            if param.where == "path":
                problems.append(_problem((param.where, param.name), "Field required", "missing"))
            else:
                values[param.name] = param.default
            continue
        try:
            values[param.name] = msgspec.convert(raw, param.type, strict=False)
        except msgspec.ValidationError as exc:
            problems.append(_invalid((param.where, param.name), param.type, exc))
    return values, problems


class RouteTable:
    """Routes declared on a Powertools resolver or Router (`registrar`), in declaration order."""

    def __init__(self, registrar: Any) -> None:
        self.registrar = registrar
        self.routes: list[RouteSpec] = []

    def declare(self, method: str, rule: str, *, summary: str, ok: Answer, params: Iterable[Param] = (),
                body: type[msgspec.Struct] | None = None, errors: Iterable[int] = ()) -> Callable[[Callable], Callable]:
        """Register `fn(**parameters[, request=body])` for `method rule` (Powertools' `<name>` placeholders)."""
        params = tuple(params)
        codes = sorted({*ALWAYS, *(WITH_BODY if body else ()), *errors})
        answers = (ok, *(Answer(code, ERROR_ANSWERS[code], ErrorBody) for code in codes))

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(RouteSpec(method, re.sub(r"<(\w+)>", r"{\1}", rule), summary, fn.__name__, params,
                                         body, answers))

            @functools.wraps(fn)
            def route(**path_args: str) -> Any:
                event = self.registrar.current_event
                request, problems = read_body(event, body) if body is not None else (None, [])
                values, param_problems = read_params(event, path_args, params)
                problems = param_problems + problems
                if problems:
                    raise RequestRefused(422, "validation_error", problems)
                return fn(**values, request=request) if body is not None else fn(**values)

            self.registrar.route(rule, method=method, summary=summary)(route)
            return fn

        return register


def _content(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": dict(schema)}}


def openapi_document(routes: Iterable[RouteSpec], *, title: str, version: str, description: str,
                     security_schemes: Mapping[str, Any], security: list[dict[str, list[str]]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes`: their operations, and the JSON Schemas of their models."""
    routes = list(routes)
    kinds: list[Any] = []
    for route in routes:
        kinds += [param.type for param in route.params]
        kinds += [kind for kind in (route.body, *(answer.model for answer in route.answers)) if kind is not None]
    unique = list(dict.fromkeys(kinds))
    schemas, components = msgspec.json.schema_components(unique, ref_template=REF_TEMPLATE)
    schema_of = dict(zip(unique, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {"summary": route.summary, "operationId": route.operation_id}
        if route.params:
            operation["parameters"] = [_parameter(param, schema_of[param.type]) for param in route.params]
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": _content(schema_of[route.body])}
        operation["responses"] = {
            str(answer.status): {"description": answer.description,
                                 **({"content": _content(schema_of[answer.model])} if answer.model else {})}
            for answer in sorted(route.answers, key=lambda answer: answer.status)}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": dict(security_schemes)},
        "security": security,
    }


def _parameter(param: Param, schema: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if param.where == "query":
        schema["default"] = param.default
    described = {"description": schema["description"]} if "description" in schema else {}
    return {"name": param.name, "in": param.where, "required": param.where == "path", **described, "schema": schema}
