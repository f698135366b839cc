"""A simulated day mixes voice, web chats, texts and tasks in the channels file's proportions, and the KPI report of
its records breaks the day down by channel with the day's own counts."""

import json
from collections import Counter
from datetime import date

import pytest

from analytics.kpis import policy_settings
from analytics.reader import load_lake
from analytics.report import build_report
from callcenter.channel_mix import (
    DEMO_CHANNELS,
    ChannelMixError,
    ChatPlan,
    SmsPlan,
    load_channel_mix,
    parse_channel_mix,
    plan_mixed_day,
)
from callcenter.cli import main
from callcenter.day import CallPlan
from functions.routing.policy import load_policy
from tests.conftest import DEMO_PROFILES

DAY = date(2026, 11, 24)  # a Tuesday
CONTACTS, SEED = 60, 5


def channel_of(plan):
    return {CallPlan: "voice", ChatPlan: "chat", SmsPlan: "sms"}[type(plan)]


def report_channel(record):
    if record["Channel"] == "CHAT" and record["Attributes"].get("channel_subtype") == "sms":
        return "SMS"
    return record["Channel"]


@pytest.fixture(scope="module")
def profiles():
    from functions.profiles.importer import import_profile_file

    return import_profile_file(DEMO_PROFILES).accepted


@pytest.fixture(scope="module")
def mixed_day(profiles, tmp_path_factory):
    """60 contacts of the demo mix, run in process: (plans, the day's report, its records, the lake's report)."""
    from callcenter.backend import LocalBackend
    from callcenter.day import run_day
    from callcenter.records import ContactLog, replace_records

    plans = plan_mixed_day(profiles, load_channel_mix(), CONTACTS, SEED, DAY)
    log = ContactLog()
    with LocalBackend() as local:
        local.load_profiles(profiles)
        report = run_day(local, plans, seed=SEED, log=log, tasks=True)
    root = tmp_path_factory.mktemp("lake")
    replace_records(log.records, root, part=0)
    con, load = load_lake(root)
    return plans, report, log.records, build_report(con, load, policy_settings(), list(load_policy().queues))


def test_the_demo_mix_splits_the_day_exactly_and_the_same_by_seed(profiles):
    # Given the demo file (voice 0.7, chat 0.2, sms 0.1)
    mix = load_channel_mix(DEMO_CHANNELS)
    # When a day of 60 contacts is planned twice with one seed, and once with another
    plans = plan_mixed_day(profiles, mix, CONTACTS, SEED, DAY)
    again = plan_mixed_day(profiles, mix, CONTACTS, SEED, DAY)
    other = plan_mixed_day(profiles, mix, CONTACTS, SEED + 1, DAY)
    # Then the channels are in the file's proportions, the seed decides the rest, and it arrives in time order
    assert Counter(channel_of(p) for p in plans) == {"voice": 42, "chat": 12, "sms": 6}
    assert plans == again
    assert [p.request.at for p in plans] != [p.request.at for p in other]
    assert [p.request.at for p in plans] == sorted(p.request.at for p in plans)
    # the calls run no chat through the voice flow: the chats are the chat flow's
    assert not any(isinstance(p, CallPlan) and p.request.channel != "VOICE" for p in plans)
    assert {p.identity for p in plans if isinstance(p, ChatPlan)} == {"signed", "typed", "anonymous"}


@pytest.mark.parametrize(("shares", "contacts", "expected"), [
    ({"voice": 0.7, "chat": 0.2, "sms": 0.1}, 7, {"voice": 5, "chat": 1, "sms": 1}),
    ({"chat": 0.5, "sms": 0.5}, 9, {"voice": 0, "chat": 5, "sms": 4}),
    ({"voice": 1}, 3, {"voice": 3, "chat": 0, "sms": 0}),
])
def test_counts_are_the_largest_remainder_split(shares, contacts, expected):
    assert parse_channel_mix({"version": 1, "shares": shares}).counts(contacts) == expected


def test_each_channel_comes_through_its_own_path_with_its_record(mixed_day):
    plans, report, records, _lake = mixed_day
    by_id = {r["ContactId"]: r for r in records}
    customer = [r for r in records if not (r["Channel"] == "VOICE" and r["InitiationMethod"] == "API")]
    counted = Counter(report_channel(r) for r in customer)
    # Every contact the day started has one record, on the report's channel the day counted it under
    assert counted == report.channels
    assert report.channels["VOICE"] == 42
    assert report.channels["CHAT"] + report.not_contacts["chat"] == 12
    assert report.channels["SMS"] + report.not_contacts["sms"] == 6
    assert report.channels["CHAT"] > 0 and report.channels["SMS"] > 0
    # Chats and SMS contacts are started through the API on channel CHAT; an SMS carries its subtype
    for record in customer:
        if record["Channel"] == "VOICE":
            assert record["InitiationMethod"] == "INBOUND"
        else:
            assert record["InitiationMethod"] == "API" and record["CustomerEndpoint"] is None
    sms = [r for r in customer if report_channel(r) == "SMS"]
    assert all(r["Attributes"]["channel_subtype"] == "sms" for r in sms)
    # A chat of a signed-in customer was routed as that customer (the claim reached the routing handler)
    signed = [p for p in plans if isinstance(p, ChatPlan) and p.identity == "signed"]
    signed_records = [r for r in customer if r["Channel"] == "CHAT" and r["Attributes"].get("customer_id")]
    assert signed and len(signed_records) >= len(signed)
    # Queued chats and texts waited in the queue model: a queue leg, and an agent leg once answered
    queued = [r for r in customer if r["Channel"] != "VOICE" and r["Queue"] is not None]
    assert queued and any(r["Agent"] is not None for r in queued)
    for record in queued:
        if record["Agent"] is not None:
            assert record["Queue"]["DequeueTimestamp"] == record["Agent"]["ConnectedToAgentTimestamp"]
    # Tasks come from the day's escalated tickets, each in its team's queue, worked by an agent
    tasks = [r for r in customer if r["Channel"] == "TASK"]
    assert len(tasks) == report.channels["TASK"] <= report.tasks_started
    for record in tasks:
        assert record["InitiationMethod"] == "API" and record["Agent"] is not None
        assert record["Queue"]["Name"] == by_id[record["ContactId"]]["Attributes"]["task_team"]


def test_the_kpi_report_of_the_records_has_the_days_counts_per_channel(mixed_day):
    _plans, report, _records, lake = mixed_day
    for channel in ("VOICE", "CHAT", "SMS", "TASK"):
        assert lake["channels"][channel]["contacts"] == report.channels[channel], channel
    assert lake["channels"]["CHAT"]["contacts_offered"] > 0


@pytest.mark.parametrize(("document", "message"), [
    ({"version": 1, "shares": {"voice": 0.7, "chat": 0.2}}, r"`shares` must sum to 1, got 0\.9"),
    ({"version": 1, "shares": {"voice": 0.7, "chat": "0.3"}}, r"\$\.shares\.chat"),
    ({"version": 1, "shares": {"voice": 1.2, "chat": -0.2}}, r"\$\.shares\.voice"),
    ({"version": 1, "shares": {"voice": 0.9, "fax": 0.1}}, r"unknown field `fax`"),
    ({"version": 1}, r"missing required field `shares`"),
    ({"version": 1, "shares": {"voice": 1}, "chat_identity": {"signed": 0.5}}, r"`chat_identity` must sum to 1"),
])
def test_a_bad_channels_file_is_refused_naming_the_field(tmp_path, document, message):
    path = tmp_path / "channels.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ChannelMixError, match=message):
        load_channel_mix(path)
    # and simulate stops before playing anything, saying which file and what is wrong
    with pytest.raises(SystemExit, match=rf"callcenter: {path}: channels file is invalid"):
        main(["simulate", "--calls", "5", "--date", DAY.isoformat(), "--channels", str(path)])


def test_simulate_prints_the_contacts_per_channel(tmp_path, capsys):
    assert main(["simulate", "--calls", "10", "--seed", "2", "--date", DAY.isoformat(), "--profiles",
                 str(DEMO_PROFILES), "--channels", str(DEMO_CHANNELS)]) == 0
    out = capsys.readouterr().out
    assert "Simulated day 2026-11-24 (Tuesday): 10 contacts, seed 2" in out
    assert "Contacts by channel: VOICE 7, CHAT 2, SMS 1" in out
