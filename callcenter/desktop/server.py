"""`callcenter desktop`'s HTTP server: the page, its local endpoints, and the tickets API behind a local adapter.

- `/` and the page's files from desktop/dist (built by `make desktop`), `/config.json` in local mode;
- `/api/...`: the request becomes the API Gateway REST proxy event of the matching route (callcenter/api_client.py
  builds it), the real ticket-api handler answers it on the moto backend, its answer goes back as HTTP. The
  identity is the local stand-in for Cognito: `/local/sign-in` gives a token for a name, teams and a supervisor
  flag; a request carrying it arrives with the claims the Cognito authorizer would pass, one without (or with an
  unknown token) arrives with none, and the API answers 401 as deployed;
- `/local/...`: the softphone stand-in (callers, calls placed through the inbound flow, optionally with attributes
  altered after routing as another flow could, accept and end), the
  per-queue contact figures, a stand-in for the sentiment consumer's hints (`POST /local/hints`, the
  functions/insights write API), and switches for the bad-input cases (`/local/sign-out-all`: every token
  expires; `/local/api-down`: the API answers 503 as a failing gateway would).
- The customer's chat page (`/chat.html`): `POST /chat/start` is the real chat-start handler, as API Gateway
  would call it; `/local/site-claim` is the stand-in of the company site's backend (it signs a signed-in
  customer's id with the local chat-identity secret, callcenter/chats.py: site_backend_claim); and
  `/local/chats/{contact_id}` stands in for Connect's participant service: GET the transcript, POST the
  customer's next message, the chat flow answers (callcenter/chats.py: LiveChat).

One request at a time (http.server's plain HTTPServer): the moto backend and the handlers run in one thread.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
from collections.abc import Mapping
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from callcenter.api_client import API_FUNCTION, Agent, rest_event
from callcenter.backend import LocalBackend, function_arn
from callcenter.desktop.softphone import LocalSoftphone, UnknownCaller

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = REPO_ROOT / "desktop" / "dist"
API_PREFIX = "/api"
LOCAL_PREFIX = "/local"
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
CHAT_START_PATH = "/chat/start"  # as the chat API serves it in AWS (infra/constructs/chat.py)
MAX_BODY_BYTES = 256 * 1024


@lru_cache(maxsize=1)
def _route_patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    from functions.tickets.api import routes

    patterns = []
    for method, template in routes():
        regex = re.sub(r"\\\{([A-Za-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        patterns.append((method, template, re.compile(f"^{regex}$")))
    return tuple(patterns)


def match_route(method: str, path: str) -> tuple[str, dict[str, str]]:
    """(resource template, path parameters) of the API route for this request; the path itself when none matches
    (the handler then answers 404 no_route, as API Gateway's missing resource would be refused)."""
    from urllib.parse import unquote

    for route_method, template, pattern in _route_patterns():
        found = pattern.match(path)
        if found and route_method == method:
            return template, {k: unquote(v) for k, v in found.groupdict().items()}
    return path, {}


def api_event(method: str, path: str, query: str, body: str | None, content_type: str | None,
              agent: Agent | None) -> dict[str, Any]:
    """The REST proxy event for a request on the adapter; `agent` None: no authorizer claims."""
    template, params = match_route(method, path)
    single = {k: v[-1] for k, v in parse_qs(query).items()}
    event = rest_event(method, template, agent or Agent("nobody"), params=params, query=single or None)
    event["path"] = path
    event["requestContext"]["path"] = path
    if agent is None:
        event["requestContext"]["authorizer"] = None
    if body is not None:
        event["body"] = body
        headers = {**event["headers"], "Content-Type": content_type or "application/octet-stream"}
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    return event


class DesktopApp:
    """The state behind the server: the backend, the stand-in softphone, the stand-in identities."""

    def __init__(self, backend: LocalBackend, softphone: LocalSoftphone, dist: Path = DIST) -> None:
        from functions.desktop.config import desktop_config
        from functions.manifest import FUNCTIONS

        self.backend = backend
        self.softphone = softphone
        self.dist = dist.resolve()
        self.tokens: dict[str, Agent] = {}
        self.api_down = False
        self.timeout_s = FUNCTIONS[API_FUNCTION].timeout_seconds
        self.config = desktop_config(mode="local", api_base=API_PREFIX, local={"base": LOCAL_PREFIX},
                                     queueFigures=f"{LOCAL_PREFIX}/queue-figures",
                                     chat={"start": CHAT_START_PATH})
        self.chats: dict[str, Any] = {}  # contact id -> callcenter.chats.LiveChat

    # --- the API ------------------------------------------------------------------------------------
    def call_api(self, method: str, path: str, query: str, body: str | None, content_type: str | None,
                 authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        if self.api_down:
            return 503, {"Content-Type": "application/json"}, b'{"message": "Service Unavailable"}'
        agent = self.tokens.get((authorization or "").strip())
        event = api_event(method, path, query, body, content_type, agent)
        response = self.backend.invoke_lambda(function_arn(API_FUNCTION), event, self.timeout_s)
        headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
        return int(response.get("statusCode", 502)), headers, str(response.get("body") or "").encode()

    # --- the customer's chat -------------------------------------------------------------------------
    def start_chat(self, body: str | None) -> tuple[int, bytes]:
        """POST /chat/start through the real chat-start handler (the same event API Gateway sends)."""
        from callcenter.chats import live_chat
        from flowlang.simulator import LambdaInvocationError

        event = {"httpMethod": "POST", "path": CHAT_START_PATH, "headers": {"Content-Type": "application/json"},
                 "body": body, "isBase64Encoded": False}
        self.backend.now = self.softphone.at
        try:
            response = self.backend.invoke_lambda(function_arn("chat-start"), event, 8)
        except LambdaInvocationError:
            return 502, b'{"reason": "UNAVAILABLE", "message": "The chat cannot start right now."}'
        finally:
            self.backend.now = None
        status = int(response.get("statusCode", 502))
        answer = str(response.get("body") or "")
        if status == 200:
            contact_id = json.loads(answer)["contact_id"]
            chat = live_chat(self.backend, contact_id, self.softphone.at)
            if chat is not None:
                self.chats[contact_id] = chat
        return status, answer.encode()

    def _site_claim(self, payload: Any) -> tuple[int, Any]:
        from callcenter.chats import site_backend_claim

        customer = payload.get("customer_id") if isinstance(payload, Mapping) else None
        known = {p.customer_id for p in self.softphone.profiles}
        if not isinstance(customer, str) or customer not in known:
            return 404, {"message": "the site stand-in signs in the demo customers only"}
        return 200, site_backend_claim(customer, self.softphone.at).to_attributes()

    def _chat(self, method: str, contact_id: str, payload: Any) -> tuple[int, Any]:
        from functions.chat.messages import MessageCheck, check_message, split_message

        chat = self.chats.get(contact_id)
        if chat is None:
            return 404, {"message": "no such chat"}
        if method == "POST":
            text = payload.get("text") if isinstance(payload, Mapping) else None
            if not isinstance(text, str) or check_message(text) is MessageCheck.EMPTY:
                return 422, {"reason": "EMPTY_MESSAGE", "message": "The message is empty."}
            chat.said.extend(split_message(text))  # a message over Connect's limit arrives in parts, whole
        return 200, chat.answer(self.backend)

    # --- the local endpoints ------------------------------------------------------------------------
    def local(self, method: str, path: str, payload: Any) -> tuple[int, Any]:
        routes = {
            ("GET", "/callers"): lambda: (200, {"callers": self.softphone.callers()}),
            ("POST", "/sign-in"): lambda: self._sign_in(payload),
            ("POST", "/sign-out-all"): self._sign_out_all,
            ("POST", "/calls"): lambda: self._ring(payload),
            ("POST", "/api-down"): lambda: self._api_down(payload),
            ("POST", "/hints"): lambda: self._hint(payload),
            ("GET", "/queue-figures"): lambda: (200, {
                "source": "the calls placed through this desktop's softphone stand-in",
                "queues": [f.to_json() for f in self.softphone.figures(self.config["teams"])]}),
        }
        if method == "POST" and path == "/site-claim":
            return self._site_claim(payload)
        chat = re.match(r"^/chats/([A-Za-z0-9-]{1,64})$", path)
        if chat and method in ("GET", "POST"):
            return self._chat(method, chat[1], payload)
        state = re.match(r"^/calls/([A-Za-z0-9-]{1,64})/(connected|ended)$", path)
        if method == "POST" and state:
            ok = self.softphone.mark(state[1], state[2])
            return (200, {"ok": True}) if ok else (404, {"message": "no such call"})
        handler = routes.get((method, path))
        if handler is None:
            return 404, {"message": f"no local endpoint {method} {path}"}
        return handler()

    def _sign_in(self, payload: Any) -> tuple[int, Any]:
        if not isinstance(payload, Mapping):
            return 422, {"message": "send {username, teams, supervisor}"}
        username = payload.get("username")
        teams = payload.get("teams") or []
        if not isinstance(username, str) or not USERNAME.match(username):
            return 422, {"message": "the agent name: letters, digits, '.', '_', '@' or '-', up to 64"}
        if not isinstance(teams, list) or any(t not in self.config["teams"] for t in teams):
            return 422, {"message": f"teams: some of {', '.join(self.config['teams'])}"}
        token = secrets.token_urlsafe(24)
        self.tokens[token] = Agent(username, tuple(teams), bool(payload.get("supervisor")))
        return 200, {"token": token}

    def _sign_out_all(self) -> tuple[int, Any]:
        self.tokens.clear()
        return 200, {"ok": True}

    def _ring(self, payload: Any) -> tuple[int, Any]:
        caller = payload.get("caller") if isinstance(payload, Mapping) else None
        altered = payload.get("attributes") if isinstance(payload, Mapping) else None
        if not isinstance(caller, str):
            return 422, {"message": "send {caller}: a key from /local/callers"}
        if altered is not None and not (isinstance(altered, dict)
                                        and all(isinstance(v, str) for v in altered.values())):
            return 422, {"message": "attributes: an object of strings"}
        try:
            return 200, self.softphone.ring(caller, altered=altered)
        except UnknownCaller as exc:
            return 404, {"message": str(exc)}

    def _api_down(self, payload: Any) -> tuple[int, Any]:
        self.api_down = bool(payload.get("down")) if isinstance(payload, Mapping) else False
        return 200, {"down": self.api_down}

    def _hint(self, payload: Any) -> tuple[int, Any]:
        from functions.common.clock import utc_now
        from functions.insights.hint import InvalidHint
        from functions.insights.store import InsightItem, record_hint
        from functions.storage.tables import bind_table_names

        if not isinstance(payload, Mapping):
            return 422, {"message": "send {contact_id, rule, text, team, kind?, severity?}"}
        bind_table_names([InsightItem])
        try:
            hint = record_hint(str(payload.get("contact_id", "")), str(payload.get("rule", "")),
                               str(payload.get("text", "")), team=str(payload.get("team", "")), at=utc_now(),
                               kind=str(payload.get("kind", "hint")), severity=str(payload.get("severity", "info")))
        except InvalidHint as exc:
            return 422, {"message": str(exc)}
        return 200, {"contact_id": hint.contact_id, "rule": hint.rule}

    # --- the page -----------------------------------------------------------------------------------
    def static(self, path: str) -> tuple[int, str, bytes]:
        if path in ("", "/"):
            path = "/index.html"
        if path == "/config.json":
            return 200, "application/json", json.dumps(self.config).encode()
        target = (self.dist / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.dist) or not target.is_file():
            if not (self.dist / "index.html").is_file():
                return 404, "text/plain", b"The page is not built: run `make desktop` (npm ci and esbuild)."
            return 404, "text/plain", b"Not found"
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return 200, kind, target.read_bytes()


def make_handler(app: DesktopApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "callcenter-desktop"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # request lines would carry customer ids in paths: not logged

        def _send(self, status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; object-src 'none'")
            self.send_header("X-Content-Type-Options", "nosniff")
            for key, value in (headers or {}).items():
                if key.lower() not in ("content-type", "content-length"):
                    self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> str | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                return None
            return self.rfile.read(length).decode("utf-8", errors="replace") if length else None

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self._body()
            if url.path == CHAT_START_PATH and method == "POST":
                status, payload = app.start_chat(body)
                self._send(status, "application/json", payload)
            elif url.path.startswith(API_PREFIX + "/"):
                status, headers, payload = app.call_api(method, url.path[len(API_PREFIX):], url.query, body,
                                                        self.headers.get("Content-Type"),
                                                        self.headers.get("Authorization"))
                self._send(status, headers.get("Content-Type", "application/json"), payload, headers)
            elif url.path.startswith(LOCAL_PREFIX + "/"):
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                status, answer = app.local(method, url.path[len(LOCAL_PREFIX):], parsed)
                self._send(status, "application/json", json.dumps(answer).encode())
            elif method == "GET":
                status, kind, payload = app.static(url.path)
                self._send(status, kind, payload)
            else:
                self._send(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain", b"Method not allowed")

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

    return Handler


def serve(app: DesktopApp, host: str, port: int) -> HTTPServer:
    return HTTPServer((host, port), make_handler(app))
