"""`callcenter sms` across commands: a second text goes into the open conversation's contact, the agent's reply is
texted to the customer and kept in the state file, the chat's end makes the next text a new contact."""

import json

import pytest

from callcenter.cli import main

NUMBER = "+16175550199"


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state.json"


def sms(capsys, state, *args):
    code = main(["sms", "--state", str(state), "--json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_a_conversation_across_commands(capsys, state):
    first = sms(capsys, state, "--from", NUMBER, "--text", "My router is down", "--at", "2026-11-24T10:30:00-05:00")
    assert first["reasons"] == ["CONTACT_STARTED"]
    contact_id = first["conversation"]
    assert [c["contact_id"] for c in first["contacts"]] == [contact_id]

    second = sms(capsys, state, "--from", NUMBER, "--text", "It blinks red", "--at", "2026-11-24T10:32:00-05:00")
    assert second["reasons"] == ["MESSAGE_FORWARDED"] and second["contacts"] == []
    assert second["conversation"] == contact_id and second["replies"] == []

    reply = sms(capsys, state, "--agent-reply", contact_id, "--text", "Try now", "--at", "2026-11-24T10:35:00-05:00")
    assert reply["texted"] == [{"to": NUMBER, "body": "Try now"}] and reply["stream_reasons"] == ["TEXTED"]
    kept = json.loads(state.read_text())["sms_texted"]
    assert [(t["to"], t["body"], t["contact_id"]) for t in kept] == [(NUMBER, "Try now", contact_id)]

    ended = sms(capsys, state, "--end-chat", contact_id, "--at", "2026-11-24T10:40:00-05:00")
    assert ended["stream_reasons"] == ["CONVERSATION_CLOSED"]
    later = sms(capsys, state, "--from", NUMBER, "--text", "One more", "--at", "2026-11-24T10:45:00-05:00")
    assert later["reasons"] == ["CONTACT_STARTED"] and later["conversation"] not in (None, contact_id)


def test_an_agent_reply_needs_its_text(capsys, state):
    with pytest.raises(SystemExit, match="needs --text"):
        main(["sms", "--state", str(state), "--agent-reply", "chat-1"])
