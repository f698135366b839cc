"""The KPI SQL: written once in DuckDB's dialect (``analytics/sql/*.sql``), run by DuckDB locally, and
transpiled with sqlglot into the text Athena runs.

Every query reads the relations ``contact_records`` (the lake table), ``settings`` (one row: the center's time
zone and the default service-level threshold), ``queue_targets`` (per queue: threshold seconds and target) and
``contacts`` (``contacts.sql``: the deduplicated contact per ``ContactId``). :func:`compose` puts the last three
in front of a query as CTEs built from the routing policy, so the same text runs on a DuckDB connection and as
an Athena named query.

Athena runs the queries that read contact records only (:data:`ATHENA_QUERIES`). CSAT, ticket SLA compliance,
outreach conversion, agent occupancy and live sentiment read the tables beside the contact records
(``survey_results``, ``ticket_records``, ``outreach_results``, ``agent_sessions``, ``sentiment_summaries``), which
the local runtime writes into the lake layout but nothing in AWS streams yet (it needs DynamoDB Streams from the
survey, ticket, outreach and insights tables into Firehose, and Connect's agent event stream for staffed time):
they stay local (:data:`LOCAL_QUERIES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

SQL_DIR = Path(__file__).with_name("sql")
#: Queries on contact records only: run locally and deployed to Athena.
ATHENA_QUERIES = ("queue_kpis", "channel_kpis", "contact_summary", "routing_mix", "aht_distribution", "forecast_input",
                  "forecast_days")
#: Queries that also read the survey, ticket, outreach and agent-session tables: local only (see above).
LOCAL_QUERIES = ("csat", "tickets", "outreach", "occupancy", "sentiment")
DEFAULT_THRESHOLD_SECONDS = 20
ATHENA_DIALECT = "athena"


@dataclass(frozen=True)
class QueueTarget:
    """A queue's service-level threshold (seconds) and its target share answered within it (0-1)."""

    seconds: int
    target: float


@dataclass(frozen=True)
class KpiSettings:
    time_zone: str
    targets: Mapping[str, QueueTarget]
    default_threshold_seconds: int = DEFAULT_THRESHOLD_SECONDS

    def overridden(self, seconds: int | None) -> KpiSettings:
        """The same targets with every threshold replaced (``--service-level-seconds``)."""
        if seconds is None:
            return self
        if seconds < 1:
            raise ValueError("the service-level threshold must be at least 1 second")
        return KpiSettings(self.time_zone, {q: QueueTarget(seconds, t.target) for q, t in self.targets.items()},
                           seconds)


@cache
def source(name: str) -> str:
    """The DuckDB text of ``analytics/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _settings_select(settings: KpiSettings) -> exp.Select:
    return exp.select(
        exp.alias_(exp.Literal.string(settings.time_zone), "time_zone"),
        exp.alias_(exp.Literal.number(settings.default_threshold_seconds), "threshold_seconds"),
    )


def _targets_select(settings: KpiSettings) -> exp.Query:
    rows = [exp.tuple_(exp.Literal.string(q), exp.Literal.number(t.seconds), exp.Literal.number(t.target))
            for q, t in sorted(settings.targets.items())]
    if not rows:  # a typed, empty relation
        return sqlglot.parse_one("SELECT CAST(NULL AS VARCHAR) AS queue_name, CAST(NULL AS INTEGER) AS "
                                 "threshold_seconds, CAST(NULL AS DOUBLE) AS target WHERE 1 = 0", read="duckdb")
    values = exp.values(rows, alias="v", columns=["queue_name", "threshold_seconds", "target"])
    return exp.select("queue_name", "threshold_seconds", "target").from_(values)


def compose(name: str, settings: KpiSettings, *, contacts_relation: bool = True) -> exp.Query:
    """The query ``name`` with ``settings``, ``queue_targets`` and ``contacts`` in front of it as CTEs."""
    query = sqlglot.parse_one(source(name), read="duckdb")
    assert isinstance(query, exp.Query)
    own = query.args.get("with_")
    ctes = [exp.CTE(this=_settings_select(settings), alias=exp.TableAlias(this=exp.to_identifier("settings"))),
            exp.CTE(this=_targets_select(settings), alias=exp.TableAlias(this=exp.to_identifier("queue_targets")))]
    if contacts_relation:
        ctes.append(exp.CTE(this=sqlglot.parse_one(source("contacts"), read="duckdb"),
                            alias=exp.TableAlias(this=exp.to_identifier("contacts"))))
    ctes.extend(own.expressions if own else [])
    query.set("with_", exp.With(expressions=ctes))
    return query


def duckdb_text(name: str, settings: KpiSettings, *, contacts_table: bool = False) -> str:
    """The DuckDB text of query ``name``; ``contacts_table``: read ``contacts`` from a table already built from
    ``contacts.sql`` (:func:`materialise_contacts`) instead of computing it again in this query."""
    return compose(name, settings, contacts_relation=not contacts_table).sql(dialect="duckdb")


def materialise_contacts(con: Any, settings: KpiSettings) -> None:
    """Build ``contacts`` once as a temporary table on a DuckDB connection, for several queries to share."""
    text = compose("contacts", settings, contacts_relation=False).sql(dialect="duckdb")
    con.execute(f"CREATE OR REPLACE TEMP TABLE contacts AS {text}").fetchall()


def _map_lookup_for_trino(node: exp.Expression) -> exp.Expression:
    """``attributes['k']``: DuckDB answers NULL for a missing key, Trino's subscript fails the query; Trino's
    ``element_at`` answers NULL, as DuckDB's subscript does."""
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        return exp.Anonymous(this="element_at", expressions=[node.this, node.expressions[0]])
    return node


def athena_text(name: str, settings: KpiSettings) -> str:
    """The Athena (Trino) text of query ``name``, checked by parsing it back in the Athena dialect."""
    query = compose(name, settings).transform(_map_lookup_for_trino)
    text = query.sql(dialect=ATHENA_DIALECT, pretty=True)
    check_athena(text)
    return text


class AthenaSqlError(ValueError):
    """A query's Athena text does not parse in the Athena dialect."""


def check_athena(text: str) -> None:
    """Parse ``text`` back with sqlglot's Athena dialect; raise :class:`AthenaSqlError` on any error or on
    something sqlglot could not translate (an ``Anonymous`` DuckDB-only function would reach Athena unknown)."""
    try:
        parsed = sqlglot.parse(text, read=ATHENA_DIALECT, error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise AthenaSqlError(str(exc)) from exc
    duckdb_only = {"strptime", "strftime", "epoch", "to_timestamp", "timezone", "list_extract", "map_extract"}
    for statement in parsed:
        for node in statement.find_all(exp.Anonymous) if statement else ():
            if str(node.this).lower() in duckdb_only:
                raise AthenaSqlError(f"DuckDB-only function {node.this} left in the Athena text")


def policy_settings(policy_path: Path | None = None) -> KpiSettings:
    """The center's time zone and per-queue service-level targets from the routing policy."""
    from functions.routing.policy import POLICY_PATH, load_policy

    policy = load_policy(policy_path or POLICY_PATH)
    targets = {name: QueueTarget(q.service_level.seconds, q.service_level.target)
               for name, q in policy.queues.items()}
    return KpiSettings(policy.center_time_zone, targets)
