"""One simulated chat: the page's `POST /chat/start` through the real chat-start handler, then the chat flow
(infra/flows/chat.json) with the real routing handler, on the local backend; afterwards its contact record
through the real contact-history handler, so the customer's next contact sees it on the screen pop.

Who the customer is (`callcenter chat --from`): an E.164 number or an address with @ is what an anonymous
customer typed in the chat form (`typed_identity`: routes the chat, discloses nothing); anything else is a
customer id, signed by the local stand-in of the company site's backend (`site_backend_claim`: the same HMAC
contract as in AWS, functions/common/customer_claim.py, with the local chat-identity secret); empty, nobody
(an anonymous chat: nothing signed, nothing typed). What the customer says (`--say`, in order) answers the
flow's quick-reply menu; whatever the flow did not read waits for the agent with the chat (`for_agent`),
nothing is dropped.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from callcenter.backend import INSTANCE_ARN, LOCAL_CHAT_SECRET, LocalBackend, function_arn
from callcenter.calls import local_flow, run_flow_at
from callcenter.records import IVR_SECONDS, inbound_record
from flowlang.coverage import FlowCoverage
from flowlang.simulator import CallResult, ContactStart
from functions.common.customer_claim import CustomerClaim, sign_claim

CHAT_FLOW = "chat"
#: How long the site's backend makes a claim valid for (functions/common/customer_claim.py allows 15 minutes).
CLAIM_TTL = timedelta(minutes=5)


class ChatRefused(Exception):
    """chat-start refused the chat (its reason code and message), as the page would show it."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{body.get('reason', status)}: {body.get('message', '')}")
        self.status = status
        self.body = body


def identity_of(value: str) -> tuple[str, str]:
    """`--from`: ("phone", number) for an E.164 number, ("email", address) with @, else ("customer_id", id)."""
    text = value.strip()
    if "@" in text:
        return "email", text
    if text.startswith("+") and text[1:].isdigit():
        return "phone", text
    return "customer_id", text


def site_backend_claim(customer_id: str, at: datetime, secret: str = LOCAL_CHAT_SECRET) -> CustomerClaim:
    """The local stand-in of the company site's backend: it signs the signed-in customer's id."""
    return sign_claim(secret.encode(), customer_id, at + CLAIM_TTL)


@dataclass(frozen=True)
class ChatRequest:
    customer: str  # --from
    at: datetime
    says: tuple[str, ...] = ()
    display_name: str = "Customer"
    contact_id: str | None = None  # the ClientToken: the same id gives the same chat
    claim: CustomerClaim | None = None  # given: sent as is (a test's forged or expired claim)


@dataclass
class ChatResult:
    start_status: int
    start_body: dict[str, Any]
    contact_id: str = ""
    flow: CallResult | None = None
    for_agent: list[str] = field(default_factory=list)  # what the customer wrote that the flow did not read
    record: dict[str, Any] | None = None

    @property
    def attributes(self) -> dict[str, str]:
        return dict(self.flow.attributes) if self.flow else {}

    def to_json(self) -> dict[str, Any]:
        flow = self.flow.to_json() if self.flow else None
        return {"start": {"status": self.start_status, **self.start_body}, "contact_id": self.contact_id,
                "flow": flow, "for_agent": self.for_agent}


def start_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"display_name": request.display_name, "client_token": request.contact_id or None}
    kind, value = identity_of(request.customer)
    claim = request.claim
    if claim is None and kind == "customer_id" and value:
        claim = site_backend_claim(value, request.at)
    if claim is not None:
        body.update(claim.to_attributes())
    elif value:
        body["typed_identity"] = value
    # else: an anonymous chat (nobody signed in, nothing typed in the form)
    return {key: item for key, item in body.items() if item is not None}


def call_chat_start(backend: LocalBackend, body: dict[str, Any], at: datetime) -> tuple[int, dict[str, Any]]:
    """The page's request through the real handler (API Gateway's proxy event shape)."""
    from flowlang.simulator import LambdaInvocationError

    event = {"httpMethod": "POST", "path": "/chat/start", "headers": {"Content-Type": "application/json"},
             "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}
    backend.now = at
    try:
        answer = backend.invoke_lambda(function_arn("chat-start"), event, 8)
    except LambdaInvocationError:
        return 502, {"reason": "UNAVAILABLE", "message": "The chat cannot start right now."}
    finally:
        backend.now = None
    return int(answer["statusCode"]), json.loads(answer["body"])


def run_chat(backend: LocalBackend, request: ChatRequest, coverage: FlowCoverage | None = None,
             remember: bool = True) -> ChatResult:
    """Start the chat, run it through the chat flow, and (remember) hand its contact record to contact-history."""
    status, body = call_chat_start(backend, start_body(request), request.at)
    result = ChatResult(status, body)
    if status != 200:
        return result
    started = next(c for c in reversed(backend.connect.started_chats) if c.contact_id == body["contact_id"])
    result.contact_id = started.contact_id
    start = ContactStart(contact_id=started.contact_id, channel="CHAT", initiation_method="API",
                         customer_address=None, system_address=None, instance_arn=INSTANCE_ARN,
                         attributes=dict(started.attributes), now=request.at)
    says: list[str | None] = list(request.says)
    result.flow = run_flow_at(backend, local_flow(CHAT_FLOW), start, list(says), CHAT_FLOW, coverage)
    read = sum(1 for step in result.flow.steps if "key" in step.data)
    result.for_agent = ([started.initial_message] if started.initial_message else []) + list(request.says[read:])
    result.record = chat_record(result, request.at)
    if remember:
        deliver_contact_records(backend, [result.record], request.at + timedelta(seconds=IVR_SECONDS))
    return result


def chat_record(result: ChatResult, at: datetime) -> dict[str, Any]:
    """The chat's contact record as Connect writes it (Channel CHAT, InitiationMethod API, no endpoints)."""
    assert result.flow is not None
    return inbound_record(contact_id=result.contact_id, channel="CHAT", caller=None, dialed=None, at=at,
                          ended=at + timedelta(seconds=IVR_SECONDS), attributes=result.flow.attributes,
                          flow_outcome=result.flow.outcome, queue_arn=result.flow.queue_arn, outcome=None,
                          moment=None, initiation_method="API")


def deliver_contact_records(backend: LocalBackend, records: Sequence[dict[str, Any]], at: datetime) -> Any:
    """The CTR stream's delivery of `records` to the contact-history function (one Kinesis batch)."""
    event = {"Records": [{
        "eventSource": "aws:kinesis", "eventID": f"shardId-000000000000:{index}",
        "kinesis": {"sequenceNumber": str(index), "partitionKey": record["ContactId"],
                    "data": base64.b64encode(json.dumps(record).encode()).decode()},
    } for index, record in enumerate(records)]}
    backend.now = at
    try:
        return backend.invoke_lambda(function_arn("contact-history"), event, 60)
    finally:
        backend.now = None


# --- a chat in the browser (callcenter desktop's chat page) -------------------------------------------------------

@dataclass
class LiveChat:
    """The local stand-in of Connect's participant service for one chat: the page sends the customer's messages,
    the chat flow answers. Each message re-runs the flow from the start with every message so far (the flow and
    the routing Lambda read nothing they did not read before, so the answer is the same), and the transcript is
    cut where the flow waits for the customer's next message. When the flow ends (queued, or closed), the chat's
    contact record goes to contact-history once, as the CTR stream would deliver it."""

    contact_id: str
    start: ContactStart
    said: list[str] = field(default_factory=list)
    recorded: bool = False

    def answer(self, backend: LocalBackend) -> dict[str, Any]:
        flow = local_flow(CHAT_FLOW)
        result = run_flow_at(backend, flow, self.start, list(self.said), CHAT_FLOW)
        actions = {action["Identifier"]: action for action in flow["Actions"]}
        messages: list[dict[str, str]] = []
        reads = 0
        for step in result.steps:
            if step.data.get("text"):
                messages.append({"from": "bot", "text": step.data["text"]})
            if step.data.get("prompt"):
                messages.append({"from": "bot", "text": step.data["prompt"]})
            if "key" not in step.data:
                continue
            if reads >= len(self.said):  # the flow waits here for the customer's next message
                replies = ((actions.get(step.action_id) or {}).get("Parameters", {}).get("ViewData") or {}).get(
                    "Replies") or []
                return {"contact_id": self.contact_id, "state": "waiting", "messages": messages,
                        "replies": [{"action": r["Action"], "label": r["Label"]} for r in replies]}
            messages.append({"from": "customer", "text": self.said[reads]})
            reads += 1
        for text in self.said[reads:]:
            messages.append({"from": "customer", "text": text})
        if not self.recorded:
            record = chat_record(ChatResult(200, {}, self.contact_id, result), self.start.now)
            deliver_contact_records(backend, [record], self.start.now + timedelta(seconds=IVR_SECONDS))
            self.recorded = True
        state = "queued" if result.outcome == "queued" else "ended"
        return {"contact_id": self.contact_id, "state": state, "messages": messages, "replies": [],
                "queue": result.queue if state == "queued" else None, "reason": result.attributes.get("reason", "")}


def live_chat(backend: LocalBackend, contact_id: str, at: datetime) -> LiveChat | None:
    """The chat chat-start started (the emulator's record of StartChatContact), ready for the page."""
    started = next((c for c in backend.connect.started_chats if c.contact_id == contact_id), None)
    if started is None:
        return None
    start = ContactStart(contact_id=started.contact_id, channel="CHAT", initiation_method="API",
                         customer_address=None, system_address=None, instance_arn=INSTANCE_ARN,
                         attributes=dict(started.attributes), now=at)
    return LiveChat(contact_id, start)
