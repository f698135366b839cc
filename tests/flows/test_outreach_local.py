"""A day of outreach on the local backend: schedule -> planner -> queue -> sender -> outreach flow."""

from datetime import date

from callcenter.cli import main
from callcenter.outreach_day import run_outreach_day
from flowlang.simulator import GLOBAL_COVERAGE
from functions.profiles.store import get_profile

DAY = date(2026, 12, 1)


def test_a_customer_who_presses_1_is_routed_by_the_same_rules_to_renew(demo_backend):
    run = run_outreach_day(demo_backend, DAY, keys=("1",), coverage=GLOBAL_COVERAGE)
    assert run.calls and all(call.outcome == "queued" for call in run.calls)
    routes = {(call.queue, call.attributes["reason"]) for call in run.calls}
    # The renewal rule sends them to sales; rules ranked above it (here: Spanish speakers) still apply first
    assert ("sales", "OUTREACH_RENEWAL") in routes
    assert routes <= {("sales", "OUTREACH_RENEWAL"), ("spanish", "LANGUAGE_MATCH"), ("vip", "VIP_TIER"),
                      ("senior", "REPEAT_COMPLAINER")}


def test_a_customer_who_presses_9_is_never_contacted_again(demo_backend):
    first = run_outreach_day(demo_backend, DAY, keys=("9",), coverage=GLOBAL_COVERAGE)
    stopped = {line.customer_id for line in first.lines if line.status == "stopped"}
    assert stopped
    assert all(get_profile(customer).opted_out for customer in stopped)
    # When the campaigns run again the next days, none of them is called or texted
    for offset in (1, 2):
        later = run_outreach_day(demo_backend, date(2026, 12, 1 + offset), keys=("9",))
        contacted_again = {line.customer_id for line in later.lines
                           if line.customer_id in stopped and line.status not in ("stopped", "skipped")}
        assert not contacted_again


def test_running_the_same_day_twice_contacts_nobody_twice(demo_backend):
    first = run_outreach_day(demo_backend, DAY, keys=(None, None))
    calls_before, texts_before = len(first.calls), first.texts
    again = run_outreach_day(demo_backend, DAY, keys=(None, None))
    assert calls_before + texts_before > 0
    assert (len(again.calls), again.texts) == (0, 0)


def test_the_outreach_command_prints_who_is_contacted_and_who_is_skipped(capsys):
    assert main(["outreach", "--date", "2026-12-01", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Proactive outreach on 2026-12-01 (dry run" in out
    assert "warranty-expiry" in out and "plan-expiry" in out
    assert "planned" in out and "NO_CONSENT" in out
