"""Each KPI on a hand-built record set, values worked out by hand from Connect's definitions.

The day (tests/analytics/kpi_records.py), queue general (threshold 20 s):
  c-ans-fast 12 s answered, handle 200+20+40=260 | c-ans-slow 45 s answered, handle 300+60=360 (an earlier
  version without ACW arrives late) | c-abandon-short 8 s hung up | c-abandon-long 90 s hung up |
  c-callback-orig 60 s, became a callback | c-callback (CALLBACK) 5 s answered, handle 120 |
  c-transfer-src 15 s answered, handle 120, transferred out.
  offered 7, handled 4, abandoned 2 (the callback's original is not), abandonment 2/7.
  Connect's service level: removed from queue < 20 s by answer, abandon or callback: 12, 5, 15 and the 8 s
  abandon = 4/7. Answered within 20 s over offered: 3/7. ASA (12+45+5+15)/4 = 19.25. AHT 860/4 = 215.
  Longest wait 90.
billing (20 s): c-transfer-dst (TRANSFER) 25 s answered, handle 210: SL 0, ASA 25, transfers_in 1.
vip (10 s): c-vip 9 s answered, handle 60: SL 1.
Overall: offered 9, handled 6, abandoned 2; SL 5/9; answered 4/9; ASA 111/6 = 18.5; AHT 1130/6.
"""

from __future__ import annotations

import pytest

from analytics.kpis import policy_settings
from analytics.lake import write_jsonl, write_parquet
from analytics.reader import load_lake
from analytics.report import build_report
from functions.routing.policy import load_policy
from tests.analytics.kpi_records import ctr, day_records, side_tables

QUEUES = list(load_policy().queues)


def report_of(root, seconds=None):
    con, load = load_lake(root)
    return build_report(con, load, policy_settings().overridden(seconds), QUEUES)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    write_jsonl(day_records(), root)
    for table, rows in side_tables().items():
        write_jsonl(rows, root, table=table)
    return report_of(root)


def test_queue_counts_follow_connect_definitions(day):
    general = day["queues"]["general"]
    assert (general["contacts_offered"], general["contacts_handled"], general["contacts_abandoned"]) == (7, 4, 2)
    assert general["callbacks_requested"] == 1
    assert general["abandonment_rate"] == pytest.approx(2 / 7)
    assert general["transfers_out"] == 1


def test_service_level_both_ways(day):
    general = day["queues"]["general"]
    # Connect: the 8-second abandon left the queue within 20 s, so it counts for the service level...
    assert general["service_level"] == pytest.approx(4 / 7)
    # ...but not as answered within the threshold.
    assert general["service_level_answered"] == pytest.approx(3 / 7)
    assert general["service_level_seconds"] == 20 and general["service_level_target"] == 0.8
    assert day["queues"]["billing"]["service_level"] == 0
    assert day["queues"]["vip"]["service_level"] == 1  # 9 s against the VIP queue's own 10 s


def test_asa_aht_longest_wait(day):
    general = day["queues"]["general"]
    assert general["asa_seconds"] == pytest.approx(19.25)
    assert general["aht_seconds"] == pytest.approx(215)  # the ACW of the late, earlier version is not used
    assert general["longest_wait_seconds"] == 90
    billing = day["queues"]["billing"]
    assert (billing["asa_seconds"], billing["aht_seconds"], billing["transfers_in"]) == (25, 210, 1)


def test_overall(day):
    overall = day["overall"]
    assert (overall["contacts_offered"], overall["contacts_handled"], overall["contacts_abandoned"]) == (9, 6, 2)
    assert overall["service_level"] == pytest.approx(5 / 9)
    assert overall["service_level_answered"] == pytest.approx(4 / 9)
    assert overall["asa_seconds"] == pytest.approx(18.5)
    assert overall["aht_seconds"] == pytest.approx(1130 / 6)
    assert overall["longest_wait_seconds"] == 90


def test_duplicates_are_counted_once(day):
    assert day["input"]["contacts"] == 11
    assert day["skipped"] == {"superseded_version": 2}


def test_queue_without_contacts_has_zero_counts_and_null_rates(day):
    sales = day["queues"]["sales"]
    assert sales["contacts_offered"] == sales["contacts_handled"] == sales["contacts_abandoned"] == 0
    assert sales["abandonment_rate"] is None and sales["service_level"] is None and sales["asa_seconds"] is None
    assert set(day["queues"]) == set(QUEUES)


def test_intervals_in_the_centers_time_zone(day):
    general = [i for i in day["intervals"] if i["queue"] == "general"]
    assert len(general) == 48
    busy = {i["local_start"]: i["contacts_offered"] for i in general if i["contacts_offered"]}
    # Enqueued 14:30:10Z (09:30 EST) and the callback 15:10:10Z (10:00 EST).
    assert busy == {"2026-11-24T09:30:00-05:00": 6, "2026-11-24T10:00:00-05:00": 1}


def test_ivr_containment_and_outbound_calls_apart(day):
    overall = day["overall"]
    # INBOUND contacts: the six general inbound calls minus the callback, the IVR call and the VIP call = 8.
    assert overall["inbound_calls"] == 8
    assert overall["ivr_contained"] == 1 and overall["ivr_containment_rate"] == pytest.approx(1 / 8)
    assert overall["survey_calls"] == 1 and overall["outreach_calls"] == 0
    assert overall["callbacks"] == 1


def test_repeat_callers(day):
    # +15550001 called twice that day (c-ans-fast, c-abandon-long); 7 distinct callers made INBOUND calls.
    assert day["overall"]["callers"] == 7
    assert day["overall"]["repeat_callers"] == 1


def test_csat_joined_from_surveys(day):
    csat = day["csat"]
    # Latest answers: 5 (general), 2 (general), 4 (billing, answered again after a 1).
    assert csat["overall"]["csat"] == pytest.approx(2 / 3)
    assert csat["overall"]["avg_score"] == pytest.approx(11 / 3)
    assert csat["overall"]["stated_fcr"] == pytest.approx(1 / 2)
    assert csat["queues"]["general"]["csat"] == pytest.approx(1 / 2)
    assert csat["queues"]["billing"]["csat"] == 1


def test_ticket_sla_outreach_occupancy(day):
    # T1 on time, T2 late, T4 past due unresolved; T3 not yet due: 1 of 3 judged.
    assert day["tickets"]["overall"] == {"tickets": 4, "judged": 3, "resolved_within_sla": 1,
                                         "sla_compliance": pytest.approx(1 / 3)}
    outreach = day["outreach"]["overall"]
    assert (outreach["conversion_rate"], outreach["conversion_of_reached"]) == (0.25, 0.5)
    # ana handled 260 + 360 s in a one-hour session.
    assert day["occupancy"]["overall"] == pytest.approx(620 / 3600)
    assert day["occupancy"]["agents"]["ana"]["occupancy"] == pytest.approx(620 / 3600)


def test_service_level_seconds_override(tmp_path):
    write_jsonl(day_records(), tmp_path)
    general = report_of(tmp_path, seconds=50)["queues"]["general"]
    # < 50 s: answered 12, 45, 5, 15; removed also the 8 s abandon (90 s and the 60 s callback not).
    assert general["service_level_answered"] == pytest.approx(4 / 7)
    assert general["service_level"] == pytest.approx(5 / 7)
    assert general["service_level_seconds"] == 50


def test_answered_exactly_at_the_threshold_is_outside_it(tmp_path):
    write_jsonl([ctr("edge", wait=20, agent="ana", talk=10)], tmp_path)
    assert report_of(tmp_path)["queues"]["general"]["service_level"] == 0  # Connect compares "less than"


def test_parquet_and_json_lines_give_the_same_report(tmp_path, day):
    write_parquet(day_records(), tmp_path)
    for table, rows in side_tables().items():
        write_parquet(rows, tmp_path, table=table)
    assert report_of(tmp_path) == day


def test_fcr_proxy_over_seven_days(tmp_path):
    from datetime import timedelta

    from tests.analytics.kpi_records import T0
    records = [
        ctr("a1", customer="+1A", agent="ana", talk=60),  # calls again 3 days later: not resolved
        ctr("a2", at=T0 + timedelta(days=3), customer="+1A", agent="ana", talk=60),  # judged? ends day 10 <= 12: yes
        ctr("b1", customer="+1B", agent="ana", talk=60),  # no new call: resolved
        ctr("c1", at=T0 + timedelta(days=12), customer="+1C", agent="ana", talk=60),  # the last call: not judged
    ]
    write_jsonl(records, tmp_path)
    overall = report_of(tmp_path)["overall"]
    assert overall["fcr_7d_observed"] == 3
    assert overall["fcr_7d_resolved"] == 2
    assert overall["fcr_7d_rate"] == pytest.approx(2 / 3)
    assert overall["fcr_7d_note"] is None  # it judged calls: nothing to explain


def test_fcr_proxy_says_why_it_judged_nothing_when_the_data_is_shorter_than_its_window(day):
    overall = day["overall"]
    assert (overall["fcr_7d_observed"], overall["fcr_7d_rate"]) == (0, None)
    assert overall["fcr_7d_note"].startswith("not judged: a call is judged when the data holds the 7 days")
    assert "2026-11-24 to 2026-11-24" in overall["fcr_7d_note"]


def test_occupancy_counts_handle_time_only_on_the_days_the_agent_has_staffed_time(tmp_path):
    from datetime import timedelta

    from tests.analytics.kpi_records import T0
    write_jsonl(day_records(), tmp_path)
    # A week later, ana answers a call, but the data holds no session of hers that day (a day of outreach only).
    write_jsonl([ctr("c-later", at=T0 + timedelta(days=7), agent="ana", talk=900, customer="+15550009")], tmp_path,
                part=1)
    for table, rows in side_tables().items():
        write_jsonl(rows, tmp_path, table=table)
    occupancy = report_of(tmp_path)["occupancy"]
    assert occupancy["overall"] == pytest.approx(620 / 3600)  # not (620 + 900) / 3600
    assert (occupancy["agents"]["ana"]["contacts"], occupancy["agents"]["ana"]["contacts_unstaffed"]) == (2, 1)


@pytest.mark.parametrize(("day_start", "half_hours"), [("2026-11-01", 50), ("2026-03-08", 46)])
def test_dst_days_have_50_or_46_half_hours(tmp_path, day_start, half_hours):
    from datetime import UTC, datetime

    at = datetime.fromisoformat(f"{day_start}T05:15:00").replace(tzinfo=UTC)
    write_jsonl([ctr("d1", at=at, agent="ana", talk=10), ctr("d2", at=at.replace(hour=6), agent="ana", talk=10)],
                tmp_path)
    report = report_of(tmp_path)
    general = [i for i in report["intervals"] if i["queue"] == "general"]
    assert len(general) == half_hours
    busy = [i["local_start"] for i in general if i["contacts_offered"]]
    if half_hours == 50:  # fall back at 06:00Z: 01:15 EDT and 01:15 EST are two half hours, both 01:00 local
        assert busy == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    assert {i["day"] for i in general} == {day_start}


def test_voice_only_day_reports_every_channel_with_voice_matching_the_queue_figures(day):
    channels = day["channels"]
    assert list(channels)[:4] == ["VOICE", "CHAT", "SMS", "TASK"]
    voice, overall = channels["VOICE"], day["overall"]
    assert voice["contacts_offered"] == overall["contacts_offered"] == 9
    assert voice["contacts_handled"] == overall["contacts_handled"]
    assert voice["contacts_abandoned"] == overall["contacts_abandoned"]
    assert voice["service_level"] == pytest.approx(overall["service_level"])
    assert voice["asa_seconds"] == pytest.approx(overall["asa_seconds"])
    assert voice["aht_seconds"] == pytest.approx(overall["aht_seconds"])
    assert voice["self_served"] == 1  # c-ivr; the survey call is ours, not the customer's
    assert voice["contacts"] == 10
    assert voice["queues"]["general"]["contacts_offered"] == 7
    assert voice["csat"]["csat"] == pytest.approx(2 / 3)
    for name in ("CHAT", "SMS", "TASK"):
        assert channels[name]["contacts"] == 0 and channels[name]["service_level"] is None
        assert channels[name]["queues"] == {}


def test_channels_break_chat_sms_and_tasks_apart(tmp_path):
    """Chats start through StartChatContact (InitiationMethod API) and still count as the customer's contacts;
    an SMS conversation is a CHAT with the connect:SMS subtype; tasks are queued work; our survey calls are not
    the customer's contacts on any channel."""
    records = [
        ctr("call", wait=5, agent="ana", talk=100, customer="+15550001"),
        ctr("chat-1", method="API", channel="CHAT", wait=30, agent="bo", talk=400, customer="cust-1",
            attributes={"reason": "VIP_TIER", "customer_id": "cust-1"}),
        ctr("chat-2", method="API", channel="CHAT", wait=50, customer="cust-2"),  # abandoned
        ctr("sms-1", method="INBOUND", channel="CHAT", subtype="connect:SMS", wait=10, agent="ana", talk=600,
            customer="+15550003"),
        ctr("sms-survey-reply", method="INBOUND", channel="CHAT", subtype="connect:SMS", queue=None,
            reason="CONTACT_FLOW_DISCONNECT", customer="+15550004"),
        ctr("sms-by-our-inbox", method="API", channel="CHAT", wait=5, agent="ana", talk=100, customer="+15550008",
            attributes={"channel_subtype": "sms", "call_type": "sms", "reason": "DEFAULT"}),
        ctr("task-1", method="API", channel="TASK", queue="billing", wait=600, agent="cy", talk=900, acw=60,
            reason="AGENT_DISCONNECT"),
        ctr("survey-call", method="API", queue=None, customer="+15550002", attributes={"call_type": "survey"}),
    ]
    write_jsonl(records, tmp_path)
    report = report_of(tmp_path)
    channels = report["channels"]
    assert {k: channels[k]["contacts"] for k in ("VOICE", "CHAT", "SMS", "TASK")} == \
        {"VOICE": 1, "CHAT": 2, "SMS": 3, "TASK": 1}
    chat = channels["CHAT"]
    assert (chat["contacts_offered"], chat["contacts_handled"], chat["contacts_abandoned"]) == (2, 1, 1)
    assert chat["abandonment_rate"] == pytest.approx(1 / 2)
    assert chat["asa_seconds"] == 30 and chat["aht_seconds"] == 400
    assert chat["longest_wait_seconds"] == 50
    sms = channels["SMS"]
    assert sms["self_served"] == 1 and sms["contacts_offered"] == 2 and sms["aht_seconds"] == 350
    assert sms["queues"]["not queued"]["contacts"] == 1
    task = channels["TASK"]
    assert task["queues"]["billing"]["contacts_handled"] == 1 and task["aht_seconds"] == 960
    assert task["service_level"] == 0  # 600 s against billing's 20 s threshold
    # The queue figures count every channel's queued contacts, as Connect's queue metrics do.
    assert report["queues"]["general"]["contacts_offered"] == 5
    assert report["queues"]["billing"]["contacts_offered"] == 1
