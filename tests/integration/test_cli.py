"""The `callcenter` command, as a newcomer runs it."""

import json

import pytest

from callcenter.cli import main

AT = "2026-11-24T10:30:00-05:00"


def run_json(capsys, *args):
    assert main(["call", *args, "--at", AT, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_call_json_has_outcome_queue_attributes_and_steps(capsys):
    result = run_json(capsys, "--from", "+14155550100")
    assert {"outcome", "queue", "attributes", "steps"} <= set(result)
    assert (result["outcome"], result["queue"], result["attributes"]["reason"]) == ("queued", "vip", "VIP_TIER")
    assert result["steps"][0]["action_id"] == "enable-logging"


@pytest.mark.parametrize(("args", "queue", "reason"), [
    (["--from", "(212) 555-0175"], "senior", "REPEAT_COMPLAINER"),
    (["--from", "+16175550199", "--press", "3"], "sales", "SKILL_MATCH"),
    (["--from", "withheld"], "general", "WITHHELD_NUMBER"),
    (["--from", "+14155550100", "--inject-fault", "routing=error"], "general", "ROUTING_FALLBACK"),
    (["--from", "+14155550100", "--inject-fault", "routing=timeout"], "general", "ROUTING_FALLBACK"),
    (["--from", "+14155550100", "--inject-fault", "routing=throttle"], "general", "PROFILE_UNAVAILABLE"),
])
def test_each_kind_of_caller_and_fault_from_the_command_line(capsys, args, queue, reason):
    result = run_json(capsys, *args)
    assert (result["outcome"], result["queue"], result["attributes"]["reason"]) == ("queued", queue, reason)


def test_a_caller_types_the_pin_an_agent_set_and_is_verified(capsys):
    # Given Edsger's PIN is on file; when he presses 4 and types it, then asks for an agent
    result = run_json(capsys, "--from", "+16175550111", "--pin-on-file", "2468", "--press", "4", "--press", "2468",
                      "--press", "0")
    # Then the verification accepted it (he has no ticket: he is told so and chooses an agent)
    assert (result["attributes"]["caller_verified"], result["outcome"]) == ("true", "queued")
    wrong = run_json(capsys, "--from", "+16175550111", "--pin-on-file", "2468", "--press", "4", "--press", "1111",
                     "--press", "1111")
    assert "caller_verified" not in wrong["attributes"] and wrong["queue"] == "general"


def test_the_transcript_names_prompts_keys_lambda_and_outcome(capsys):
    assert main(["call", "--from", "+16175550199", "--press", "1", "--at", AT]) == 0
    out = capsys.readouterr().out
    for expected in ("For billing, press 1", "pressed 1", "Lambda", "Outcome: queued in billing"):
        assert expected in out


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "+14155550100", "--press", "1x"], "not phone keys"),
    (["--from", "+14155550100", "--inject-fault", "routing=explode"], "bad fault"),
    (["--from", "+16175550199", "--pin-on-file", "2468"], "needs a caller whose number is on a profile"),
    (["--from", "+16175550111", "--pin-on-file", "24"], "4 to 8 digits"),
    (["--from", "+14155550100", "--inject-fault", "billing=error"], "bad fault"),
])
def test_bad_options_are_clear_errors(args, message):
    with pytest.raises(SystemExit, match=message):
        main(["call", *args])


def test_a_naive_time_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["call", "--from", "+14155550100", "--at", "2026-11-24T10:30:00"])
    assert "needs a UTC offset" in capsys.readouterr().err


def test_seed_reports_every_bad_row_and_keeps_the_good_ones(tmp_path, capsys):
    path = tmp_path / "profiles.csv"
    path.write_text("phone,name,tier\n+14155550100,Ada,vip\n555,Bad,gold\n+14155550111,Bob,emperor\n")
    assert main(["seed", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 profile(s) accepted, 2 rejected" in out
    assert "line 3: phone:" in out and "line 4: tier:" in out
    assert "loaded 1 profile(s)" in out
    assert main(["seed", str(path), "--strict"]) == 1


def test_simulate_prints_the_routing_mix_fallbacks_and_handler_time(capsys):
    assert main(["simulate", "--calls", "40", "--seed", "3", "--profiles", "demo/profiles.csv",
                 "--date", "2026-11-24"]) == 0
    out = capsys.readouterr().out
    for expected in ("Simulated day 2026-11-24 (Tuesday): 40 calls", "Routing mix", "fallbacks",
                     "handler time per call",
                     "DynamoDB requests per call", "CSAT (share of 4 and 5)",
                     "response rate", "low-score follow-ups opened",
                     "Tickets (through the ticket API", "open at midnight / of them past SLA",
                     "progress updates sent / held by quiet hours / skipped",
                     "ticket API handler time per request, ms (p50 / p95)"):
        assert expected in out


def test_survey_runs_one_answered_call_through_event_queue_dispatcher_and_survey_flow(capsys):
    # Given a demo customer in Los Angeles whose call ends at 07:07 her time (quiet hours until 09:00)
    assert main(["survey", "--contact-id", "c-42", "--press", "2", "--press", "2",
                 "--at", "2026-11-24T10:00:00-05:00"]) == 0
    out = capsys.readouterr().out
    # Then the survey waits for her quiet hours to end, she answers 2 and "not resolved", and a follow-up opens
    assert "status=answered channel=voice score=2 resolved=no" in out
    assert "How satisfied were you" in out and "Follow-up opened: LOW_SCORE for customer cust-ada" in out


def test_a_survey_key_out_of_range_is_asked_again(capsys):
    assert main(["survey", "--contact-id", "c-43", "--press", "7", "--press", "5", "--press", "1",
                 "--at", "2026-11-24T14:00:00-05:00"]) == 0
    out = capsys.readouterr().out
    assert "score=5 resolved=yes" in out and "Follow-up opened" not in out
