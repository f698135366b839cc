"""Bad input is skipped and counted by reason, never crashes the report, and never counts a contact twice;
the CLI's JSON shape; the HTML file is self-contained; every Athena query's text parses as Athena SQL."""

from __future__ import annotations

import json
import re

import pytest

from analytics.kpis import ATHENA_QUERIES, AthenaSqlError, athena_text, check_athena, policy_settings
from analytics.lake import write_jsonl
from analytics.reader import iter_documents, load_lake
from callcenter.cli import main
from tests.analytics.kpi_records import ctr, day_records, side_tables


def dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"))


def test_bad_records_are_skipped_by_reason(tmp_path):
    good = ctr("good", wait=5, agent="ana", talk=30)
    missing_id = {k: v for k, v in ctr("x", wait=5).items() if k != "ContactId"}
    fax = ctr("fax", wait=5) | {"Channel": "FAX"}
    extra = ctr("extra", wait=5) | {"SomethingNew": {"a": 1}}
    bad_type = ctr("badtype", wait=5)
    bad_type["Queue"] = bad_type["Queue"] | {"Duration": "twelve"}
    bad_time = ctr("badtime", wait=5) | {"InitiationTimestamp": "yesterday"}
    fractional = ctr("frac", wait=5) | {"InitiationTimestamp": "2026-11-24T14:30:00.250Z"}
    lines = [dumps(good), '{"ContactId": "broken", "Channel":', dumps(missing_id), dumps(fax), dumps(extra),
             dumps(bad_type), dumps(bad_time), dumps(fractional), "[1, 2]",
             dumps(ctr("b2b-1", wait=5)) + dumps(ctr("b2b-2", wait=5)), dumps(good)]
    (tmp_path / "records.jsonl").write_text("\n".join(lines) + "\n")

    con, load = load_lake(tmp_path / "records.jsonl")

    assert dict(load.skipped) == {"malformed_json": 1, "missing_field": 1, "unknown_channel": 1, "bad_value": 1,
                                  "bad_timestamp": 1, "not_a_record": 2, "superseded_version": 1}
    assert load.ignored_fields == {"SomethingNew": 1}
    kept = {row[0] for row in con.execute("SELECT DISTINCT ContactId FROM contact_records").fetchall()}
    assert kept == {"good", "extra", "frac", "b2b-1", "b2b-2"}


def test_firehose_records_back_to_back_without_newlines(tmp_path):
    records = [ctr(f"c{i}", wait=5 * i, agent="ana" if i % 2 else None, talk=30) for i in range(5)]
    (tmp_path / "firehose-object").write_text("".join(dumps(r) for r in records))  # no delimiter, no extension
    con, load = load_lake(tmp_path)
    assert not load.skipped
    assert con.execute("SELECT COUNT(*) FROM contact_records").fetchall() == [(5,)]


def test_a_truncated_record_between_back_to_back_records_loses_only_itself():
    text = dumps({"ContactId": "a"}) + '{"ContactId": "b", "Chan' + "}" + dumps({"ContactId": "c"})
    values = list(iter_documents(text))
    assert [v["ContactId"] for v in values if isinstance(v, dict)] == ["a", "c"]
    assert len(values) == 3


def test_empty_folder_reports_zeroes_and_nulls(tmp_path, capsys):
    assert main(["report", "--from", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["contacts_offered"] == 0 and report["overall"]["service_level"] is None
    assert report["intervals"] == [] and report["skipped"] == {}


@pytest.fixture
def lake(tmp_path):
    root = tmp_path / "lake"
    write_jsonl(day_records(), root)
    for table, rows in side_tables().items():
        write_jsonl(rows, root, table=table)
    return root


def test_json_shape(lake, capsys):
    assert main(["report", "--from", str(lake), "--json", "--service-level-seconds", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    required = {"contacts_offered", "contacts_handled", "contacts_abandoned", "abandonment_rate", "service_level",
                "service_level_answered", "asa_seconds", "aht_seconds", "longest_wait_seconds"}
    assert {"overall", "queues", "intervals", "skipped"} <= set(report)
    assert required <= set(report["overall"])
    assert all(required <= set(q) for q in report["queues"].values())
    assert set(report["queues"]) == {"general", "vip", "senior", "spanish", "billing", "support", "sales"}
    for figures in [report["overall"], *report["queues"].values(), *report["intervals"]]:
        for rate in ("abandonment_rate", "service_level", "service_level_answered"):
            assert figures[rate] is None or 0 <= figures[rate] <= 1
    first = report["intervals"][0]
    assert required | {"queue", "interval_start", "local_start", "day"} <= set(first)
    assert report["skipped"] == {"superseded_version": 2}


def test_text_output_separates_business_from_engineering(lake, capsys):
    assert main(["report", "--from", str(lake)]) == 0
    out = capsys.readouterr().out
    assert out.index("Business figures") < out.index("Engineering figures")
    assert "superseded_version 2" in out


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--from", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_html_is_one_self_contained_file(lake, tmp_path):
    out = tmp_path / "report" / "kpis.html"
    assert main(["report", "--from", str(lake), "--html", str(out)]) == 0
    page = out.read_text()
    assert page.count("<svg") == 7  # channels, volume, service level, ASA, AHT, CSAT, routing mix
    channels = page[page.index("<h2>Channels</h2>"):page.index("<h2>Volume")]
    assert [row.split("</td>")[0] for row in channels.split("<tr><td>")[1:]] == ["voice", "chat", "SMS", "tasks"]
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert page.index("Business figures") < page.index("Engineering figures")


@pytest.mark.parametrize("name", ATHENA_QUERIES)
def test_athena_text_of_every_query_parses(name):
    text = athena_text(name, policy_settings())
    assert "DATE_PARSE" in text or name == "routing_mix"
    assert "attributes[" not in text.lower()  # map lookups are element_at: NULL for a missing key, as in DuckDB


def test_athena_check_refuses_duckdb_only_functions():
    with pytest.raises(AthenaSqlError):
        check_athena("SELECT strptime(x, '%Y') FROM t")
    with pytest.raises(AthenaSqlError):
        check_athena("SELECT FROM WHERE (")
