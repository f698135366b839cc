"""moto answers the local runtime's JSON-protocol requests from botocore's `before-call` event (moto 5.2.5).

With a mock active, a request normally goes all the way through botocore's HTTP leg before moto sees it: the
request object is built, the user agent rebuilt, the request signed (SigV4: canonical request, HMACs), the
`before-send` event reaches moto's stubber, which matches the URL against every service's URL patterns (and
compiles each backend's URL regexes again) before it dispatches. On the simulated day that leg is about a
third of a request's cost, and none of it changes what moto answers.

`answer` is registered last on `before-call` (after the emulators, which answer their own operations first).
For a JSON-protocol service (DynamoDB, DynamoDB Streams, SQS, EventBridge) it hands the request botocore has
already validated and serialized (the same URL, headers and body) to the same moto dispatch method the stubber
would have chosen (looked up once per URL), and parses moto's answer with the client's own parser, exactly
as botocore's endpoint does (modeled error fields included). So the parsed response, and any error raised
from it (a `ClientError` with the same code), is the same as by the HTTP leg. What is left out:

- signing: moto does not check signatures; the request carries an `Authorization` header naming the
  client's access key, so moto derives the account from it as from a signed request;
- botocore's retries: moto answers at once, and a request it refuses is refused again; a throttle injected
  by `DynamoDBTraffic` (the only retried case locally) takes the normal path, as does any request while the
  HTTP leg is needed (no mock active, a streaming body, another protocol);
- the `request-created`, `before-send`, `response-received` and `before-parse` events: nothing of ours or
  moto's listens to them for these services but the stubber itself and `DynamoDBTraffic`, whose attempt
  count this path keeps.

botocore also builds its User-Agent string afresh for every request (some thirty components, each
sanitized); `install()` memoizes `UserAgentString.to_string` per instance and per set of feature ids (the
only inputs that change after a client is made), so the header is the same string, built once.

Only for moto 5.2.5 (`callcenter.moto_patches`); with another moto every request takes the HTTP leg.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse, create_request_object
from botocore.endpoint import convert_to_response_dict
from botocore.parsers import ResponseParserFactory

from callcenter.emulators import DynamoDBTraffic, install_handler
from callcenter.moto_patches import patched_moto_installed

#: The protocols answered here: moto's JSON services (the request names its operation in a header, the URL
#: is the service's endpoint), so one dispatch method per URL.
PROTOCOLS = frozenset({"json"})

_parsers: dict[str, Any] = {}
_methods: dict[str, Callable[..., Any] | None] = {}  # clean URL -> moto's dispatch method (None: not moto's)
_installed = False
_active = False
answered = 0  # requests answered here (the rest took the HTTP leg)


def _moto_method(clean_url: str) -> Callable[..., Any] | None:
    """The dispatch method moto's stubber chooses for `clean_url` (its own search, done once per URL)."""
    if clean_url in _methods:
        return _methods[clean_url]
    import re

    import moto.backend_index as backend_index
    import moto.backends as backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.utils import get_equivalent_url_in_aws_domain

    found: Callable[..., Any] | None = None
    parsed_url, _ = get_equivalent_url_in_aws_domain(clean_url)
    url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    if not passthrough_url(url):
        for service, pattern in backend_index.backend_url_patterns:
            if not pattern.match(url):
                continue
            if passthrough_service(service) or not service_whitelisted(service):
                break  # the stubber's own way (pass through, or its error)
            backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
            if isinstance(backend_dict, BackendDict):
                accounts = backend_dict[DEFAULT_ACCOUNT_ID]
                backend = accounts["us-east-1"] if "us-east-1" in accounts else accounts["aws"]
            else:
                backend = backend_dict["global"]
            found = next((method for pattern_, method in backend.urls.items() if re.compile(pattern_).match(url)),
                         None)
            break
    _methods[clean_url] = found
    return found


def _authorization(request_signer: Any, model: Any) -> str | None:
    credentials = getattr(request_signer, "_credentials", None)
    access_key = getattr(credentials, "access_key", None)
    if not access_key:
        return None
    region = getattr(request_signer, "_region_name", "us-east-1")
    return (f"AWS4-HMAC-SHA256 Credential={access_key}/19700101/{region}/"
            f"{model.service_model.signing_name}/aws4_request, SignedHeaders=host, Signature=local")


def answer(model: Any, params: dict[str, Any], request_signer: Any = None, **_: Any) -> tuple[Any, Any] | None:
    """moto's answer to the request (http response, parsed), or None to let it take botocore's HTTP leg."""
    from moto.core.exceptions import HTTPException
    from moto.core.models import botocore_stubber
    from moto.core.request import normalize_request

    service_model = model.service_model
    protocol = service_model.resolved_protocol
    if (not _active or not botocore_stubber.enabled or protocol not in PROTOCOLS or model.has_streaming_input
            or model.has_streaming_output or model.has_event_stream_output):
        return None
    is_dynamodb = service_model.service_name == "dynamodb"
    if is_dynamodb and DynamoDBTraffic.throttle:
        return None  # the injected throttle answers at before-send, and botocore retries it
    url = params["url"]
    clean_url = url.split("?", 1)[0]
    method = _moto_method(clean_url)
    if method is None:
        return None
    authorization = _authorization(request_signer, model)
    if authorization:
        params["headers"]["Authorization"] = authorization
    prepared = create_request_object(params).prepare()
    if is_dynamodb:
        DynamoDBTraffic.attempts += 1
    normalized = normalize_request(prepared)
    try:
        status, headers, body = method(normalized, normalized.raw_url, normalized.headers)
    except HTTPException as exc:
        status, headers, body = exc.code, exc.get_headers(), exc.get_body()
    from moto.core.botocore_stubber import MockRawResponse

    http = AWSResponse(prepared.url, status, headers, MockRawResponse(body))
    response_dict = convert_to_response_dict(http, model)
    parser = _parsers.get(protocol)
    if parser is None:
        parser = _parsers[protocol] = ResponseParserFactory().create_parser(protocol)
    parsed = parser.parse(response_dict, model.output_shape)
    if status >= 300:  # botocore's Endpoint._add_modeled_error_fields
        code = parsed.get("Error", {}).get("Code")
        error_shape = service_model.shape_for_error_code(code) if code is not None else None
        if error_shape is not None:
            parsed.update(parser.parse(response_dict, error_shape))
    if "ResponseMetadata" in parsed:
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
    global answered
    answered += 1
    return http, parsed


_user_agent: Any = None


def _user_agent_string(self: Any) -> str:
    """botocore's UserAgentString.to_string, once per instance and set of feature ids."""
    from botocore.context import get_context

    context = get_context()
    key = frozenset((self._client_features or set()) | (set() if context is None else context.features))
    cache = self.__dict__.setdefault("_callcenter_strings", {})
    value = cache.get(key)
    if value is None:
        value = cache[key] = _user_agent(self)
    return str(value)


def install() -> bool:
    """Register `answer` for every client made from now on; True if installed (moto 5.2.5 only)."""
    global _installed, _user_agent
    if not _installed:
        if not patched_moto_installed("moto_direct", "every request to moto takes botocore's HTTP leg"):
            return False
        install_handler("before-call", answer, last=True)
        from botocore.useragent import UserAgentString

        _user_agent = UserAgentString.to_string
        UserAgentString.to_string = _user_agent_string  # type: ignore[method-assign]
        _installed = True
    return True


def activate() -> None:
    global _active
    _active = install()


def deactivate() -> None:
    global _active
    _active = False
