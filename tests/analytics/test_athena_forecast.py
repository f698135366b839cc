"""The forecast on the Athena records: the exact requests (Stubber, no AWS account), polling, pages, failures,
and the CLI's Athena path giving the same forecast as the local lake for the same rows."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import NoCredentialsError
from botocore.session import get_session
from botocore.stub import Stubber

from analytics import athena
from analytics.athena import AthenaError, run_query
from analytics.kpis import athena_text, check_athena, policy_settings
from callcenter.cli import main

WORKGROUP, DATABASE, QUERY_ID = "contact-lake-dev", "contact_lake_dev", "q-1"
COLUMNS = [("queue_name", "varchar"), ("local_start", "varchar"), ("offered", "bigint"), ("handled", "bigint"),
           ("abandoned", "bigint"), ("handle_seconds", "bigint"), ("queue_seconds", "double")]


@pytest.fixture
def client():
    made = get_session().create_client("athena", region_name="eu-west-1", aws_access_key_id="x",
                                       aws_secret_access_key="x")
    with Stubber(made) as stubber:
        made.stubber = stubber
        yield made
        stubber.assert_no_pending_responses()


def start(stubber, text):
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID},
                         {"QueryString": text, "WorkGroup": WORKGROUP,
                          "QueryExecutionContext": {"Database": DATABASE}})


def state(stubber, name, reason=None, scanned=0):
    status = {"State": name} | ({"StateChangeReason": reason} if reason else {})
    stubber.add_response("get_query_execution",
                         {"QueryExecution": {"QueryExecutionId": QUERY_ID, "Status": status,
                                             "Statistics": {"DataScannedInBytes": scanned}}},
                         {"QueryExecutionId": QUERY_ID})


def results(stubber, rows, *, header, token=None, next_token=None, columns=COLUMNS):
    cell = [{"Data": [{"VarCharValue": n} for n, _ in columns]}] if header else []
    data = cell + [{"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]} for row in rows]
    page = {"ResultSet": {"Rows": data, "ResultSetMetadata": {"ColumnInfo": [
        {"CatalogName": "hive", "Name": n, "Label": n, "Type": t} for n, t in columns]}}}
    if next_token:
        page["NextToken"] = next_token
    expected = {"QueryExecutionId": QUERY_ID, "MaxResults": 1000} | ({"NextToken": token} if token else {})
    stubber.add_response("get_query_results", page, expected)


def test_the_query_runs_in_the_workgroup_polls_with_a_bounded_backoff_and_reads_every_page(client):
    text = athena_text("forecast_input", policy_settings())
    start(client.stubber, text)
    for name in ("QUEUED", "RUNNING", "RUNNING", "RUNNING", "RUNNING"):
        state(client.stubber, name)
    state(client.stubber, "SUCCEEDED", scanned=2_000_000)
    results(client.stubber, [("billing", "2026-11-02T09:00", 3, 2, 1, 400, 55.5)], header=True, next_token="t1")
    results(client.stubber, [("sales", "2026-11-02T09:30", 1, 0, 0, None, 0.0)], header=False, token="t1")
    pauses = []
    run = run_query(client, text, workgroup=WORKGROUP, database=DATABASE, pause=pauses.append)
    assert pauses == [0.5, 1.0, 2.0, 4.0, 5.0]  # doubling, capped at MAX_POLL_SECONDS
    assert run.rows == [
        {"queue_name": "billing", "local_start": "2026-11-02T09:00", "offered": 3, "handled": 2, "abandoned": 1,
         "handle_seconds": 400, "queue_seconds": 55.5},
        {"queue_name": "sales", "local_start": "2026-11-02T09:30", "offered": 1, "handled": 0, "abandoned": 0,
         "handle_seconds": None, "queue_seconds": 0.0}]
    assert (run.pages, run.polls, run.bytes_scanned, run.query_execution_id) == (2, 6, 2_000_000, QUERY_ID)


@pytest.mark.parametrize("name", ["forecast_input", "forecast_days"])
def test_the_athena_text_is_the_transpiled_query_and_checks(name):
    text = athena_text(name, policy_settings())
    check_athena(text)
    assert "DATE_FORMAT" in text and "AT_TIMEZONE" in text.upper() and "strftime" not in text.lower()


@pytest.mark.parametrize("final", ["FAILED", "CANCELLED"])
def test_a_failed_or_cancelled_query_says_so_with_athena_s_reason(client, final):
    start(client.stubber, "SELECT 1")
    state(client.stubber, final, reason="TABLE_NOT_FOUND: line 1:8: Table contact_records does not exist")
    with pytest.raises(AthenaError, match=f"q-1 {final}: TABLE_NOT_FOUND.*contact_records"):
        run_query(client, "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=lambda s: None)


def test_a_query_still_running_past_the_bound_is_stopped(client):
    start(client.stubber, "SELECT 1")
    for _ in range(4):
        state(client.stubber, "RUNNING")
    client.stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    pauses = []
    with pytest.raises(AthenaError, match="still RUNNING after 4 s: stopped"):
        run_query(client, "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=pauses.append,
                  max_wait_seconds=3)
    assert pauses == [0.5, 1.0, 2.0]


def test_throttling_is_retried_after_growing_pauses(client):
    for _ in range(2):
        client.stubber.add_client_error("start_query_execution", "ThrottlingException", "Rate exceeded")
    start(client.stubber, "SELECT 1")
    state(client.stubber, "SUCCEEDED")
    results(client.stubber, [], header=True)
    pauses = []
    run = run_query(client, "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=pauses.append)
    assert (pauses, run.rows) == ([1.0, 2.0], [])


def test_throttling_that_does_not_end_is_an_error(client):
    for _ in range(athena.THROTTLE_ATTEMPTS):
        client.stubber.add_client_error("start_query_execution", "TooManyRequestsException", "Slow down")
    with pytest.raises(AthenaError, match="TooManyRequestsException: Slow down"):
        run_query(client, "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=lambda s: None)


def test_a_missing_workgroup_is_athena_s_message(client):
    client.stubber.add_client_error("start_query_execution", "InvalidRequestException",
                                    "WorkGroup contact-lake-dev is not found.")
    with pytest.raises(AthenaError, match="InvalidRequestException: WorkGroup contact-lake-dev is not found"):
        run_query(client, "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=lambda s: None)


def test_no_credentials_is_a_clear_error():
    class Unsigned:
        def start_query_execution(self, **_):
            raise NoCredentialsError()

    with pytest.raises(AthenaError, match="no AWS credentials"):
        run_query(Unsigned(), "SELECT 1", workgroup=WORKGROUP, database=DATABASE, pause=lambda s: None)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    out = tmp_path_factory.mktemp("athena-lake")
    assert main(["history", "--weeks", "1", "--calls-per-day", "60", "--out", str(out), "--seed", "3"]) == 0
    return out


def local_rows(lake, name):
    from analytics.kpis import duckdb_text, materialise_contacts
    from analytics.reader import load_lake

    con, _ = load_lake(lake)
    materialise_contacts(con, policy_settings())
    rows = con.execute(duckdb_text(name, policy_settings(), contacts_table=True)).fetchall()
    con.close()
    return rows


def test_the_cli_on_athena_gives_the_forecast_of_the_same_rows_read_locally(lake, tmp_path, client, monkeypatch,
                                                                           capsys):
    rows, days = local_rows(lake, "forecast_input"), local_rows(lake, "forecast_days")
    start(client.stubber, athena_text("forecast_input", policy_settings()))
    state(client.stubber, "SUCCEEDED", scanned=1_500_000)
    half = len(rows) // 2
    results(client.stubber, rows[:half], header=True, next_token="more")
    results(client.stubber, rows[half:], header=False, token="more")
    start(client.stubber, athena_text("forecast_days", policy_settings()))
    state(client.stubber, "SUCCEEDED")
    results(client.stubber, days, header=True, columns=[("local_day", "varchar")])
    regions = []
    monkeypatch.setattr(athena, "athena_client", lambda region: regions.append(region) or client)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["forecast", "--history", str(lake), "--days", "3", "--out", str(local)]) == 0
    assert main(["forecast", "--athena-workgroup", WORKGROUP, "--region", "eu-west-1", "--days", "3",
                 "--out", str(remote)]) == 0
    assert regions == ["eu-west-1"]
    assert (remote / "forecast.csv").read_text() == (local / "forecast.csv").read_text()
    assert json.loads((remote / "forecast.json").read_text()) == json.loads((local / "forecast.json").read_text())
    assert "Athena query q-1 in contact-lake-dev: 1.5 MB scanned, 2 result pages" in capsys.readouterr().out


def test_the_cli_wants_one_source_and_the_database_only_with_athena(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["forecast", "--history", str(tmp_path), "--athena-workgroup", WORKGROUP, "--out", str(tmp_path)])
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["forecast", "--history", str(tmp_path), "--athena-database", DATABASE,
                 "--out", str(tmp_path / "f")]) == 2
    assert "--athena-database goes with --athena-workgroup" in capsys.readouterr().err


def test_the_cli_says_what_athena_refused_without_a_traceback(tmp_path, client, monkeypatch, capsys):
    start(client.stubber, athena_text("forecast_input", policy_settings()))
    state(client.stubber, "FAILED", reason="Insufficient permissions to execute the query")
    monkeypatch.setattr(athena, "athena_client", lambda region: client)
    monkeypatch.setattr("functions.common.clock.pause", lambda s: pytest.fail("no poll pause expected"))
    assert main(["forecast", "--athena-workgroup", WORKGROUP, "--out", str(tmp_path / "f")]) == 2
    assert "FAILED: Insufficient permissions" in capsys.readouterr().err
