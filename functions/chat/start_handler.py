"""Chat-start Lambda: `POST /chat/start` (API Gateway REST proxy) -> StartChatContact -> the participant token.

Thin: parse, check, start, answer (functions/chat/start.py says what is accepted and why). Connect is called
at this function's pace (functions/common/pacing.py: its share of the StartChatContact quota over its reserved
concurrency); a request that would wait too long for its turn, or that Connect throttles, is answered 429 with
the seconds to wait, never queued behind the browser's back. The chat-identity secret is read only for a
signed claim (functions/common/secrets.py, cached). Logs name the contact and the outcome, never the
customer's name, what they typed or their message.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.chat.start import ChatStartRefused, Refusal, parse_request, start_chat
from functions.common.aws import aws_client, error_code
from functions.common.clock import utc_now
from functions.common.observability import count_metric, logger, metrics
from functions.common.pacing import THROTTLING_CODES, PacingDeferred, pacer
from functions.common.secrets import SecretUnavailable, secret_bytes
from functions.common.settings import optional_env, require_env

FUNCTION = "chat-start"
MAX_BODY_CHARS = 60_000  # the opening message (16 KiB) as JSON \u escapes (about 48 KB), with room for the rest


class PacedConnect:
    """StartChatContact through this function's pacer."""

    def start_chat_contact(self, **parameters: Any) -> Any:
        pacer(FUNCTION, "StartChatContact").acquire()
        return aws_client("connect").start_chat_contact(**parameters)


def _answer(status: int, body: dict[str, Any], retry_after: int = 0, origin: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", "Vary": "Origin"}
    allowed = {o.strip() for o in (optional_env("CHAT_SITE_ORIGIN") or "").split(",") if o.strip()}
    if origin and origin in allowed:
        headers["Access-Control-Allow-Origin"] = origin
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


def _refused(exc: ChatStartRefused, origin: str | None) -> dict[str, Any]:
    count_metric("ChatStartRefused", reason=exc.reason.value)
    logger.info("chat start refused", extra={"reason": exc.reason.value})
    return _answer(exc.status, exc.body(), exc.retry_after_seconds, origin)


def _origin(event: Any) -> str | None:
    headers = event.get("headers") if isinstance(event, dict) else None
    if not isinstance(headers, dict):
        return None
    value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == "origin"), None)
    return value if isinstance(value, str) else None


def handle(event: dict[str, Any]) -> dict[str, Any]:
    metrics.add_metric(name="ChatStartRequests", unit=MetricUnit.Count, value=1)
    raw = event.get("body") if isinstance(event, dict) else None
    origin = _origin(event)
    try:
        if not isinstance(raw, str) or len(raw) > MAX_BODY_CHARS:
            raise ChatStartRefused(Refusal.MALFORMED_REQUEST)
        try:
            body = json.loads(raw)
        except ValueError:
            raise ChatStartRefused(Refusal.MALFORMED_REQUEST) from None
        request = parse_request(body)
        secret = None
        if request.claim is not None:
            try:
                secret = secret_bytes(require_env("CHAT_IDENTITY_SECRET_ARN"))
            except SecretUnavailable as exc:
                logger.warning("chat-identity secret unavailable", extra={"error": str(exc)})
                raise ChatStartRefused(Refusal.UNAVAILABLE) from exc
        try:
            started = start_chat(request, secret, PacedConnect(), instance_id=require_env("CONNECT_INSTANCE_ID"),
                                 flow_id=require_env("CHAT_FLOW_ID"), now=utc_now())
        except PacingDeferred as exc:
            raise ChatStartRefused(Refusal.BUSY, int(exc.retry_after_seconds) or 1) from exc
        except ChatStartRefused:
            raise
        except Exception as exc:  # botocore: throttled, or Connect/endpoint failing
            code = error_code(exc)
            logger.warning("StartChatContact failed", extra={"error": code})
            busy = code in THROTTLING_CODES
            raise ChatStartRefused(Refusal.BUSY if busy else Refusal.UNAVAILABLE, 5 if busy else 0) from exc
    except ChatStartRefused as exc:
        return _refused(exc, origin)
    count_metric("ChatsStarted", identity="signed" if request.claim else "typed" if request.typed_identity else "none")
    logger.info("chat started", extra={"contact_id": started.contact_id, "signed": request.claim is not None})
    return _answer(200, {"contact_id": started.contact_id, "participant_id": started.participant_id,
                         "participant_token": started.participant_token}, origin=origin)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event)
