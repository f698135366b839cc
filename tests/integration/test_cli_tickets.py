"""`callcenter tickets ...`: an agent's ticket work through the real ticket API, kept between commands."""

import json

import pytest

from callcenter.cli import main

AT = "2026-11-24T15:00:00+00:00"


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state.json"


def tickets(capsys, state, *args, identity=("--agent", "ana", "--team", "billing")):
    """Run one `callcenter tickets` command; (exit code, stdout, stderr)."""
    code = main(["tickets", "--state", str(state), "--at", AT, *identity, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create(capsys, state, *extra, identity=("--agent", "ana", "--team", "billing")):
    code, out, err = tickets(capsys, state, "--json", "create", "--customer", "cust-ada", "--subject",
                             "Charged twice", "--category", "billing", "--team", "billing", *extra,
                             identity=identity)
    assert code == 0, err
    return json.loads(out)


def test_a_ticket_created_by_one_command_is_listed_shown_and_updated_by_the_next(capsys, state):
    ticket = create(capsys, state, "--priority", "2", "--contact-id", "c-1")
    assert (ticket["status"], ticket["version"], ticket["contact_ids"]) == ("open", 1, ["c-1"])
    ticket_id = ticket["ticket_id"]

    code, out, _ = tickets(capsys, state, "list", "--customer", "cust-ada")
    assert code == 0 and ticket_id in out and "Open tickets of customer cust-ada (1)" in out

    code, out, _ = tickets(capsys, state, "update", ticket_id, "--status", "in_progress", "--expected-version", "1",
                           "--note", "Checking with payments")
    assert code == 0 and f"Ticket {ticket_id} is now in_progress in team billing (version 2)" in out

    code, out, _ = tickets(capsys, state, "--json", "show", ticket_id)
    shown = json.loads(out)
    assert (shown["status"], shown["version"]) == ("in_progress", 2)
    assert [(e["action"], e["to_status"], e["note"]) for e in shown["history"]] == [
        ("created", "open", None), ("status", "in_progress", "Checking with payments")]

    code, out, _ = tickets(capsys, state, "list", "--team", "billing")
    assert code == 0 and ticket_id in out and "in_progress" in out


def test_escalate_assign_priority_and_a_note_alone(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    code, _, err = tickets(capsys, state, "update", ticket_id, "--escalate", "support", "--reason", "needs a tech",
                           "--priority", "1", "--expected-version", "1")
    assert code == 0, err
    # Now it is support's ticket: a support agent assigns it and lowers the priority again
    support = ("--agent", "sam", "--team", "support")
    assert tickets(capsys, state, "update", ticket_id, "--assign", "sam", "--expected-version", "2",
                   identity=support)[0] == 0
    assert tickets(capsys, state, "update", ticket_id, "--priority", "2", "--expected-version", "3",
                   identity=support)[0] == 0
    assert tickets(capsys, state, "update", ticket_id, "--note", "called the customer", identity=support)[0] == 0
    shown = json.loads(tickets(capsys, state, "--json", "show", ticket_id)[1])
    assert (shown["team"], shown["status"], shown["agent"], shown["priority"], shown["version"]) == (
        "support", "escalated", "sam", 2, 5)
    assert [e["action"] for e in shown["history"]] == ["created", "escalated", "assigned", "priority", "note"]


def test_a_stale_version_is_a_clear_409_and_writes_nothing(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    assert tickets(capsys, state, "update", ticket_id, "--assign", "ana", "--expected-version", "1")[0] == 0
    # Bob read version 1 before Ana's change
    code, out, err = tickets(capsys, state, "update", ticket_id, "--status", "resolved", "--expected-version", "1",
                             identity=("--agent", "bob", "--team", "billing"))
    assert code == 1 and out == ""
    assert "409 version_conflict" in err and "you sent version 1, it is now at version 2" in err
    assert "--expected-version 2" in err
    shown = json.loads(tickets(capsys, state, "--json", "show", ticket_id)[1])
    assert (shown["status"], shown["version"]) == ("open", 2)


def test_update_without_a_version_prints_the_current_one_and_changes_nothing(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    code, out, _ = tickets(capsys, state, "update", ticket_id, "--status", "resolved")
    assert code == 2
    assert "is at version 1 (status open" in out and "--expected-version 1" in out
    assert json.loads(tickets(capsys, state, "--json", "show", ticket_id)[1])["status"] == "open"


def test_another_teams_restricted_ticket_is_403_but_its_team_and_supervisors_see_it(capsys, state):
    ticket_id = create(capsys, state, "--restricted")["ticket_id"]
    code, out, err = tickets(capsys, state, "show", ticket_id, identity=("--agent", "sal", "--team", "sales"))
    assert code == 1 and out == ""
    assert "403 forbidden" in err and "restricted to the billing team" in err
    code, out, _ = tickets(capsys, state, "list", "--customer", "cust-ada", identity=("--agent", "sal"))
    assert code == 0 and ticket_id not in out
    assert tickets(capsys, state, "show", ticket_id, identity=("--agent", "sue", "--supervisor"))[0] == 0


def test_a_change_outside_the_tickets_team_is_403(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    code, _, err = tickets(capsys, state, "update", ticket_id, "--status", "resolved", "--expected-version", "1",
                           identity=("--agent", "sal", "--team", "sales"))
    assert code == 1 and "403 forbidden" in err and "only the billing team or a supervisor" in err


def test_a_forbidden_transition_names_the_allowed_ones(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    assert tickets(capsys, state, "update", ticket_id, "--status", "resolved", "--expected-version", "1")[0] == 0
    code, _, err = tickets(capsys, state, "update", ticket_id, "--status", "escalated", "--expected-version", "2")
    assert code == 1 and "409 transition_not_allowed" in err and "allowed: closed, in_progress" in err


def test_unknown_ticket_and_unknown_customer_are_404(capsys, state):
    code, _, err = tickets(capsys, state, "show", "T000000ABCDEF")
    assert code == 1 and "404 not_found" in err and "no ticket T000000ABCDEF" in err
    code, _, err = tickets(capsys, state, "list", "--customer", "cust-nobody")
    assert code == 1 and "404 not_found" in err


def test_the_api_refuses_a_team_that_is_not_a_queue(capsys, state):
    code, _, err = tickets(capsys, state, "create", "--customer", "cust-ada", "--subject", "x", "--category",
                           "billing", "--team", "accounts")
    assert code == 1 and "422" in err and "unknown team 'accounts'" in err
    assert not state.exists() or json.loads(state.read_text())["tickets"] == []


def test_overdue_follows_the_sla_of_the_priority(capsys, state):
    ticket_id = create(capsys, state, "--priority", "1")["ticket_id"]  # 4 hours from 15:00
    code, out, _ = tickets(capsys, state, "--json", "list", "--overdue")
    assert code == 0 and json.loads(out) == []
    code = main(["tickets", "--state", str(state), "--at", "2026-11-24T19:30:00+00:00", "--agent", "ana",
                 "list", "--overdue"])
    out = capsys.readouterr().out
    assert code == 0 and ticket_id in out and "OVERDUE" in out


def test_a_repeated_request_id_returns_the_same_ticket(capsys, state):
    first = create(capsys, state, "--request-id", "desk-42")
    code, out, _ = tickets(capsys, state, "create", "--customer", "cust-ada", "--subject", "Charged twice",
                           "--category", "billing", "--team", "billing", "--request-id", "desk-42")
    assert code == 0 and f"Request desk-42 had already created ticket {first['ticket_id']}" in out
    listed = json.loads(tickets(capsys, state, "--json", "list", "--customer", "cust-ada")[1])
    assert [t["ticket_id"] for t in listed] == [first["ticket_id"]]


@pytest.mark.parametrize(("args", "message"), [
    (["update", "T1", "--status", "resolved", "--assign", "bob", "--expected-version", "1"], "one change per update"),
    (["update", "T1", "--escalate", "support", "--expected-version", "1"], "--escalate needs --reason"),
    (["update", "T1"], "nothing to change"),
])
def test_an_unclear_update_is_refused_before_anything_runs(state, args, message):
    with pytest.raises(SystemExit, match=message):
        main(["tickets", "--state", str(state), *args])
    assert not state.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--team", "accounts", "list", "--overdue"], "unknown team 'accounts'"),
    (["create", "--customer", "cust-ada", "--subject", "x", "--category", "refund", "--team", "billing"],
     "invalid choice: 'refund'"),
    (["list", "--customer", "cust-ada", "--team", "billing"], "not allowed with argument"),
    (["update", "T1", "--status", "done", "--expected-version", "1"], "invalid choice: 'done'"),
    (["update", "T1", "--priority", "2", "--expected-version", "0"], "must be at least 1"),
])
def test_bad_arguments_are_clear_usage_errors(capsys, state, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["tickets", "--state", str(state), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_state_file_that_is_not_ours_is_left_alone(capsys, state):
    state.write_text('{"hello": "world"}')
    with pytest.raises(SystemExit, match="not a callcenter state file"):
        main(["tickets", "--state", str(state), "create", "--customer", "cust-ada", "--subject", "x",
              "--category", "billing", "--team", "billing"])
    assert state.read_text() == '{"hello": "world"}'


def test_a_call_with_the_saved_tickets_shows_the_callers_open_ticket(capsys, state):
    ticket_id = create(capsys, state)["ticket_id"]
    assert main(["call", "--from", "+14155550100", "--at", "2026-11-24T16:00:00+00:00", "--state", str(state),
                 "--json"]) == 0
    attributes = json.loads(capsys.readouterr().out)["attributes"]
    assert (attributes["open_ticket_count"], attributes["latest_ticket_id"], attributes["latest_ticket_status"]) == (
        "1", ticket_id, "open")


def test_tickets_of_customers_missing_from_the_profile_file_are_kept_and_named(capsys, state, tmp_path):
    ticket_id = create(capsys, state)["ticket_id"]
    others = tmp_path / "profiles.csv"
    others.write_text("customer_id,phone,name\ncust-bob,+14155550111,Bob\n")
    code, out, err = tickets(capsys, state, "--profiles", str(others), "show", ticket_id)
    assert code == 0 and ticket_id in out
    assert "1 customer(s) with saved tickets are not in the profile file: cust-ada" in err
