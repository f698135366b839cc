"""The lake's tables as Arrow schemas: the Parquet files written locally and the Glue table Firehose converts to.

One declaration serves three readers: :func:`analytics.lake.write_parquet` (the local Parquet layout), the
reader (JSON records are normalised to it, so a JSON-lines folder and a Parquet folder load the same table), and
the CDK app (:func:`glue_columns` gives the Glue table's columns, so Firehose's conversion and the local files
agree). Field names are Connect's own (``ContactId``, ``Queue.EnqueueTimestamp``); Glue lower-cases them, and the
KPI SQL writes them lower-case, which DuckDB and Athena both resolve case-insensitively.

Timestamps stay Connect's ISO 8601 text (``2026-11-24T09:30:05Z``): that is what the stream carries, the Glue
schema keeps it as a string (no SerDe timestamp format to get wrong), and the SQL parses it. ``Attributes`` is a
``map<string,string>`` so no contact attribute is dropped by the conversion.

Tables beside the contact records (same ``<table>/dt=YYYY-MM-DD/`` layout, partitioned by their own timestamp):
``survey_results`` (a post-call survey's answers), ``ticket_records`` (a ticket's SLA facts),
``outreach_results`` (one outreach attempt's outcome), ``agent_sessions`` (an agent's staffed time) and
``sentiment_summaries`` (a contact's live-sentiment summary: the caller's score at the start and the end, -1 to 1,
whether it ended negative, the rules fired; functions/sentiment/store.py).
"""

from __future__ import annotations

import pyarrow as pa

CONTACT_RECORDS = "contact_records"
SURVEY_RESULTS = "survey_results"
TICKET_RECORDS = "ticket_records"
OUTREACH_RESULTS = "outreach_results"
AGENT_SESSIONS = "agent_sessions"
SENTIMENT_SUMMARIES = "sentiment_summaries"

_S = pa.string()
_I = pa.int64()

ENDPOINT = pa.struct([("Address", _S), ("Type", _S)])
AGENT = pa.struct([
    ("ARN", _S), ("Username", _S), ("RoutingProfile", pa.struct([("Name", _S)])),
    ("ConnectedToAgentTimestamp", _S), ("AgentInteractionDuration", _I), ("CustomerHoldDuration", _I),
    ("NumberOfHolds", _I), ("LongestHoldDuration", _I), ("AfterContactWorkStartTimestamp", _S),
    ("AfterContactWorkEndTimestamp", _S), ("AfterContactWorkDuration", _I),
])
QUEUE = pa.struct([("ARN", _S), ("Name", _S), ("EnqueueTimestamp", _S), ("DequeueTimestamp", _S), ("Duration", _I)])
#: Connect's segment attributes (``{"connect:Subtype": {"ValueString": "connect:SMS"}}``): the subtype tells an SMS
#: conversation (channel CHAT) from a web chat.
SEGMENT_ATTRIBUTES = pa.map_(_S, pa.struct([("ValueString", _S)]))

CONTACT_RECORD_SCHEMA = pa.schema([
    ("AWSAccountId", _S), ("AWSContactTraceRecordFormatVersion", _S), ("Agent", AGENT),
    ("AgentConnectionAttempts", _I), ("Attributes", pa.map_(_S, _S)), ("Channel", _S),
    ("ConnectedToSystemTimestamp", _S), ("ContactId", _S), ("CustomerEndpoint", ENDPOINT),
    ("DisconnectReason", _S), ("DisconnectTimestamp", _S), ("InitialContactId", _S), ("InitiationMethod", _S),
    ("InitiationTimestamp", _S), ("InstanceARN", _S), ("LastUpdateTimestamp", _S), ("NextContactId", _S),
    ("PreviousContactId", _S), ("Queue", QUEUE), ("SegmentAttributes", SEGMENT_ATTRIBUTES),
    ("SystemEndpoint", ENDPOINT), ("TransferCompletedTimestamp", _S),
    ("TransferredToEndpoint", ENDPOINT),
])

SURVEY_RESULT_SCHEMA = pa.schema([
    ("ContactId", _S), ("CustomerId", _S), ("AnsweredTimestamp", _S), ("Score", _I), ("Resolved", _S),
])
TICKET_RECORD_SCHEMA = pa.schema([
    ("TicketId", _S), ("Team", _S), ("Priority", _I), ("CreatedTimestamp", _S), ("DueTimestamp", _S),
    ("ResolvedTimestamp", _S), ("Status", _S),
])
OUTREACH_RESULT_SCHEMA = pa.schema([
    ("AttemptId", _S), ("ContactId", _S), ("CustomerId", _S), ("Campaign", _S), ("AttemptTimestamp", _S),
    ("Outcome", _S), ("Converted", pa.bool_()),
])
AGENT_SESSION_SCHEMA = pa.schema([("Username", _S), ("StartTimestamp", _S), ("EndTimestamp", _S)])
SENTIMENT_SUMMARY_SCHEMA = pa.schema([
    ("ContactId", _S), ("Team", _S), ("SummarizedTimestamp", _S), ("StartScore", pa.float64()),
    ("EndScore", pa.float64()), ("EndedNegative", pa.bool_()), ("CustomerTurns", _I), ("RulesFired", _S),
    ("Outcome", _S),
])


class Table:
    """A lake table: its folder name, schema, the fields a row cannot do without, and its partition timestamp."""

    def __init__(self, name: str, schema: pa.Schema, required: tuple[str, ...], partition_field: str) -> None:
        self.name, self.schema, self.required, self.partition_field = name, schema, required, partition_field


TABLES: dict[str, Table] = {t.name: t for t in (
    Table(CONTACT_RECORDS, CONTACT_RECORD_SCHEMA,
          ("ContactId", "Channel", "InitiationMethod", "InitiationTimestamp", "LastUpdateTimestamp"),
          "InitiationTimestamp"),
    Table(SURVEY_RESULTS, SURVEY_RESULT_SCHEMA, ("ContactId", "AnsweredTimestamp"), "AnsweredTimestamp"),
    Table(TICKET_RECORDS, TICKET_RECORD_SCHEMA, ("TicketId", "CreatedTimestamp", "DueTimestamp"), "CreatedTimestamp"),
    Table(OUTREACH_RESULTS, OUTREACH_RESULT_SCHEMA, ("AttemptId", "AttemptTimestamp"), "AttemptTimestamp"),
    Table(AGENT_SESSIONS, AGENT_SESSION_SCHEMA, ("Username", "StartTimestamp", "EndTimestamp"), "StartTimestamp"),
    Table(SENTIMENT_SUMMARIES, SENTIMENT_SUMMARY_SCHEMA, ("ContactId", "SummarizedTimestamp"), "SummarizedTimestamp"),
)}


def hive_type(data_type: pa.DataType) -> str:
    """The Glue (Hive DDL) type of an Arrow type: ``struct<name:string,...>``, ``map<string,string>``."""
    if pa.types.is_struct(data_type):
        fields = ",".join(f"{f.name.lower()}:{hive_type(f.type)}" for f in data_type)
        return f"struct<{fields}>"
    if pa.types.is_map(data_type):
        return f"map<{hive_type(data_type.key_type)},{hive_type(data_type.item_type)}>"
    if pa.types.is_string(data_type):
        return "string"
    if pa.types.is_int64(data_type):
        return "bigint"
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_float64(data_type):
        return "double"
    raise ValueError(f"no Glue type for {data_type}")


def glue_columns(table: str = CONTACT_RECORDS) -> list[tuple[str, str]]:
    """The Glue table's columns (lower-case name, Hive type), in the schema's order."""
    return [(field.name.lower(), hive_type(field.type)) for field in TABLES[table].schema]
