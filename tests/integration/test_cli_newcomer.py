"""The local runtime as a newcomer meets it: results that do not depend on today, plain warnings, a report that
reads, a command line that refuses bad input and explains itself."""

import argparse
import json
import re
import shlex
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from callcenter.cli import build_parser, main
from tests.conftest import REPO

# Under pytest-xdist (`make test`), `make demo`'s two runs (module fixture `demo_runs`) are made once, on one worker.
pytestmark = pytest.mark.xdist_group("demo-runs")

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 30, tzinfo=NEW_YORK)
SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=NEW_YORK)
AT = "2026-11-24T10:30:00-05:00"


# --- results do not depend on today's date (item 13) -------------------------------------------------------

def demo_simulate_args(calls: int) -> list[str]:
    """The `callcenter simulate` command of `make demo`, with fewer calls."""
    recipe = (REPO / "Makefile").read_text().split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    (line,) = [line for line in recipe.splitlines() if "callcenter simulate" in line]
    args = shlex.split(line)[1:]
    args[args.index("--calls") + 1] = str(calls)
    if "--records" in args:  # the demo's records folder: a temporary one here
        import tempfile

        args[args.index("--records") + 1] = tempfile.mkdtemp(prefix="demo-records-")
    return args


def business_part(output: str) -> str:
    """The report up to its engineering table (whose times are this machine's)."""
    return output.split("Engineering (", 1)[0].rstrip()


@pytest.fixture(scope="module")
def demo_runs():
    """`make demo`'s simulate command (fewer calls) run on a Tuesday morning and on a Sunday night: the outputs."""
    import io
    from contextlib import redirect_stdout

    outputs = {}
    for name, today in (("tuesday", TUESDAY_MORNING), ("sunday", SUNDAY_NIGHT)):
        buffer = io.StringIO()
        with time_machine.travel(today, tick=False), redirect_stdout(buffer):
            assert main(demo_simulate_args(calls=20)) == 0
        outputs[name] = buffer.getvalue()
    return outputs


def test_make_demo_gives_the_same_figures_whatever_day_it_is_run(demo_runs):
    tuesday, sunday = business_part(demo_runs["tuesday"]), business_part(demo_runs["sunday"])
    assert "Simulated day 2026-11-24 (Tuesday): 20 contacts, seed 7" in tuesday  # calls, chats, texts (--channels)
    assert tuesday == sunday


def readme_call_examples() -> list[tuple[list[str], str]]:
    """(arguments, comment) of each `callcenter call` example of the README that needs no state file."""
    text = (REPO / "README.md").read_text()
    variables = dict(re.findall(r"^(\w+)=(\S+)", text, flags=re.MULTILINE))
    examples = []
    for line in text.splitlines():
        if not line.startswith(".venv/bin/callcenter call ") or "--state" in line:
            continue
        command, _, comment = line.partition("#")
        args = [variables.get(arg[1:], arg) if arg.startswith("$") else arg for arg in shlex.split(command)[1:]]
        examples.append((args, comment.strip()))
    return examples


def test_the_readme_has_call_examples():
    assert len(readme_call_examples()) >= 10


@pytest.mark.parametrize(("args", "comment"), readme_call_examples(), ids=lambda value: str(value)[:60])
def test_each_readme_call_example_does_what_it_says_on_a_sunday_night(capsys, args, comment):
    # Given it is Sunday, 03:00 in New York (the center is closed)
    with time_machine.travel(SUNDAY_NIGHT, tick=False):
        assert main([*args, "--json"] if "--json" not in args else args) == 0
    result = json.loads(capsys.readouterr().out)
    # Then the example behaves as in business hours, except the one that shows after hours
    after_hours = any(step["action_id"].startswith("after-hours") for step in result["steps"])
    assert after_hours == ("after hours" in comment), comment


def test_a_call_when_the_center_is_closed_says_so(capsys):
    with time_machine.travel(SUNDAY_NIGHT, tick=False):
        assert main(["call", "--from", "+16175550199", "--press", "1"]) == 0
    captured = capsys.readouterr()
    assert "Outcome: closed" in captured.out
    assert "the center was closed at this time" in captured.err


def test_keys_that_no_prompt_read_are_pointed_out(capsys):
    # A VIP customer is not offered the menu: the 1 is never read
    assert main(["call", "--from", "+14155550100", "--press", "1", "--at", AT]) == 0
    assert "1 key(s) pressed but never read, because no prompt asked for them: 1" in capsys.readouterr().err


def test_keys_all_read_give_no_warning(capsys):
    assert main(["call", "--from", "+16175550199", "--press", "1", "--at", AT]) == 0
    assert "never read" not in capsys.readouterr().err


def test_a_simulated_sunday_says_the_center_is_closed_all_day(capsys):
    assert main(["simulate", "--calls", "5", "--seed", "2", "--date", "2026-11-29"]) == 0
    assert "The center is closed all day on Sunday 2026-11-29" in capsys.readouterr().out


# --- `call --verbose` shows the handlers' logs, masked (item 15) ---------------------------------------------

def test_verbose_shows_the_handlers_logs_with_the_number_masked(capsys):
    assert main(["call", "--from", "+14155550100", "--at", AT, "--verbose", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["queue"] == "vip"  # stdout stays one JSON object
    logs = [line for line in captured.err.splitlines() if line.startswith("[routing] ")]
    decision = [json.loads(line.removeprefix("[routing] ")) for line in logs if "routing decision" in line]
    assert decision and decision[0]["caller"] == "+1********00"
    assert "+14155550100" not in captured.err and "Ada" not in captured.err


def test_without_verbose_no_logs(capsys):
    assert main(["call", "--from", "+14155550100", "--at", AT]) == 0
    assert "routing decision" not in capsys.readouterr().err


# --- the report (item 16) ------------------------------------------------------------------------------------

def test_flow_coverage_only_on_request(demo_runs, capsys):
    assert "never taken:" not in demo_runs["tuesday"] and "add --coverage" in demo_runs["tuesday"]
    assert main(["simulate", "--calls", "3", "--date", "2026-11-24", "--coverage"]) == 0
    covered = capsys.readouterr().out
    assert "Flow 'inbound'" in covered and "never taken:" in covered


def test_business_figures_come_first_and_engineering_figures_apart(demo_runs):
    output = demo_runs["tuesday"]
    business, _, engineering = output.partition("Engineering (")
    assert engineering, "no engineering table"
    assert "KPIs" not in output
    for figure in ("DynamoDB", " ms", "Lambda", "faults injected", "fallbacks"):
        assert figure not in business, figure
    for figure in ("handler time per call, ms", "DynamoDB requests per call", "failed Lambda invocations",
                   "faults injected", "wall time"):
        assert figure in engineering, figure


def test_names_in_the_report_cannot_contradict(demo_runs):
    output = demo_runs["tuesday"]
    assert "abandoned" not in output.lower()
    # the demo's day mixes channels: what was queued and left is named for every channel, not as calls
    assert "queued contacts (calls, chats, texts) that left before an agent answered" in output
    assert "Routing mix (queued contacts)" in output and "queued calls" not in output
    assert "contacts not surveyed, by reason" in output and "never reached an agent" in output


# --- the command line (item 17) ------------------------------------------------------------------------------

def test_bare_callcenter_prints_its_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: callcenter")
    for command in ("seed", "call", "simulate", "survey", "outreach", "tickets"):
        assert command in out


def parsers(parser: argparse.ArgumentParser, path: str = "callcenter"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def test_every_option_of_every_command_says_what_it_is_for():
    missing = [f"{path} {action.option_strings or action.dest}"
               for path, parser in parsers(build_parser()) for action in parser._actions
               if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
               and action.help in (None, "", argparse.SUPPRESS)]
    assert missing == []


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--queue-full", "nowhere", "unknown queue 'nowhere'"),
    ("--channel", "pigeon", "'pigeon' is not one of VOICE, CHAT, TASK, EMAIL"),
    ("--initiation", "teleport", "'teleport' is not one of INBOUND"),
    ("--to", "not-a-number", "'not-a-number' is not a phone number"),
    ("--to", "+1 555", "'+1 555' is not a phone number"),
])
def test_call_refuses_values_it_cannot_mean(capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["call", "--from", "+14155550100", "--at", AT, option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_channel_is_read_in_any_case(capsys):
    assert main(["call", "--from", "+14155550100", "--at", AT, "--channel", "chat", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["attributes"]["reason"] == "ANONYMOUS_CHAT"


def test_identity_options_are_accepted_after_the_subcommand(tmp_path, capsys):
    state = str(tmp_path / "state.json")
    # Given a restricted billing ticket, created with the identity before the subcommand
    assert main(["tickets", "--agent", "ana", "--team", "billing", "--state", state, "--at", AT, "--json", "create",
                 "--customer", "cust-ada", "--subject", "Charged twice", "--category", "billing", "--team",
                 "billing", "--restricted"]) == 0
    ticket_id = json.loads(capsys.readouterr().out)["ticket_id"]
    # When a billing agent shows it with the identity after the subcommand
    assert main(["tickets", "show", ticket_id, "--agent", "bea", "--agent-team", "billing", "--state", state,
                 "--at", AT, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ticket_id"] == ticket_id
    # And a team given after the subcommand adds to the teams given before it
    assert main(["tickets", "--agent", "sam", "--team", "support", "--state", state, "show", ticket_id,
                 "--agent-team", "billing", "--json"]) == 0
    capsys.readouterr()
    # While without the billing team the restricted ticket stays hidden
    assert main(["tickets", "--agent", "sam", "--team", "support", "--state", state, "show", ticket_id]) == 1
    assert "403 forbidden" in capsys.readouterr().err
