"""The ticket API's CORS header: for the agent desktop's origin only (functions/tickets/api_handler.with_cors)."""

from __future__ import annotations

import pytest

from functions.tickets.api_handler import with_cors

DESKTOP = "https://d111111abcdef8.cloudfront.net"


def answer() -> dict:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Content-Type": ["application/json"]}, "body": "{}"}


def test_the_desktop_origin_gets_its_own_origin_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTOP_ORIGIN", DESKTOP)
    response = with_cors({"headers": {"origin": DESKTOP}}, answer())
    assert response["headers"]["Access-Control-Allow-Origin"] == DESKTOP
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == [DESKTOP]
    assert response["headers"]["Vary"] == "Origin"


@pytest.mark.parametrize("origin", ["https://evil.example", None, DESKTOP + ".evil.example"])
def test_any_other_origin_gets_no_cors_header(monkeypatch: pytest.MonkeyPatch, origin: str | None) -> None:
    monkeypatch.setenv("DESKTOP_ORIGIN", DESKTOP)
    response = with_cors({"headers": {"Origin": origin} if origin else {}}, answer())
    assert "Access-Control-Allow-Origin" not in response["headers"]


def test_without_a_desktop_nothing_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKTOP_ORIGIN", raising=False)
    response = with_cors({"headers": {"Origin": DESKTOP}}, answer())
    assert "Access-Control-Allow-Origin" not in response["headers"]
