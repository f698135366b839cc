"""Import customer profiles from CSV, JSON Lines or a JSON array (`callcenter seed FILE`).

Every bad row is reported with its line number and the reason; good rows are kept.
The format is documented in README.md ("Profile files").
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from functions.common.phone import InvalidPhoneNumber, mask_phone, normalize_e164
from functions.common.zones import require_zone
from functions.profiles.profile import CHANNELS, TIERS, CustomerProfile

REQUIRED_COLUMNS = ("phone", "name")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_ID_NAMESPACE = uuid.UUID("6f1c4a52-3f0e-4d4e-9a57-5b0d1e8c2a10")


def normalize_email(value: str) -> str:
    """`value` as stored (email-validator's normalized form), or ValueError saying what is wrong with it.

    Syntax only: deliverability (a DNS lookup per row) is not checked at import; a bounce is the notifier's
    concern. Internationalised addresses are refused, since SMTPUTF8 delivery cannot be relied on.
    """
    try:
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a usable email address: {exc}") from None


class ProfileFileError(ValueError):
    """The file as a whole cannot be read (unknown format, missing header columns, not JSON...)."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    accepted: list[CustomerProfile] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def customer_id_for(e164: str) -> str:
    """A stable id for rows that do not bring one: the same phone always gets the same id."""
    return "cust-" + uuid.uuid5(_ID_NAMESPACE, e164).hex[:16]


class ProfileRecord(BaseModel):
    """One row, validated. Empty cells mean "not given"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    phone: str
    name: str = Field(min_length=1, max_length=120)
    tier: str = "standard"
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    time_zone: str | None = None
    recent_complaints: int = Field(default=0, ge=0, le=1000)
    consent_voice: bool = False
    consent_sms: bool = False
    consent_surveys: bool = False
    opted_out: bool = False
    preferred_channel: str = "voice"
    warranty_expires: date | None = None
    plan_expires: date | None = None
    email: str | None = None

    @field_validator("tier", "language", "preferred_channel", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("tier")
    @classmethod
    def _known_tier(cls, value: str) -> str:
        if value not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}")
        return value

    @field_validator("preferred_channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"preferred_channel must be one of {', '.join(CHANNELS)}")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else require_zone(value)

    @model_validator(mode="after")
    def _email_for_email_preference(self) -> ProfileRecord:
        if self.preferred_channel == "email" and self.email is None:
            raise ValueError("preferred_channel email needs an email address (the email column)")
        return self

    @field_validator("consent_voice", "consent_sms", "consent_surveys", "opted_out", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true or false")


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "row"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown column"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _rows(text: str, fmt: str) -> list[tuple[int, Any]]:
    """(line number, raw row) pairs. Line numbers are those a person sees in an editor."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ProfileFileError(f"CSV header is missing column(s): {', '.join(missing)}")
        rows = []
        for row in reader:
            if None in row:  # more cells than header columns
                rows.append((reader.line_num, ValueError("more cells than header columns")))
                continue
            if all(not (v or "").strip() for v in row.values()):
                continue  # blank line
            rows.append((reader.line_num, row))
        return rows
    if fmt == "jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                rows.append((number, ValueError(f"not valid JSON ({exc.msg})")))
        return rows
    if fmt == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
        if not isinstance(document, list):
            raise ProfileFileError("a .json profile file must hold a JSON array of objects")
        # Items are numbered from 1; without a streaming parser we report the item number as the "line".
        return list(enumerate(document, start=1))
    raise ProfileFileError(f"unknown profile file format {fmt!r} (use .csv, .jsonl or .json)")


def import_profiles(text: str, fmt: str, default_region: str = "US") -> ImportReport:
    report = ImportReport()
    seen_phones: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for line, raw in _rows(text, fmt):
        if isinstance(raw, Exception):
            report.rejected.append(RejectedRow(line, str(raw)))
            continue
        if not isinstance(raw, dict):
            report.rejected.append(RejectedRow(line, "a row must be an object of column -> value"))
            continue
        given = {k: v for k, v in raw.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
        try:
            record = ProfileRecord.model_validate(given)
        except ValidationError as exc:
            report.rejected.append(RejectedRow(line, _reason(exc)))
            continue
        try:
            e164 = normalize_e164(record.phone, default_region)
        except InvalidPhoneNumber as exc:
            report.rejected.append(RejectedRow(line, f"phone: {exc}"))
            continue
        customer_id = record.customer_id or customer_id_for(e164)
        if e164 in seen_phones:
            report.rejected.append(
                RejectedRow(line, f"phone: {mask_phone(e164)} already used on line {seen_phones[e164]}"))
            continue
        if customer_id in seen_ids:
            report.rejected.append(
                RejectedRow(line, f"customer_id: {customer_id} already used on line {seen_ids[customer_id]}"))
            continue
        seen_phones[e164] = line
        seen_ids[customer_id] = line
        report.accepted.append(CustomerProfile(
            customer_id=customer_id,
            phone=e164,
            name=record.name,
            tier=record.tier,
            language=record.language,
            time_zone=record.time_zone,
            recent_complaints=record.recent_complaints,
            consent_voice=record.consent_voice,
            consent_sms=record.consent_sms,
            consent_surveys=record.consent_surveys,
            opted_out=record.opted_out,
            preferred_channel=record.preferred_channel,
            warranty_expires=record.warranty_expires,
            plan_expires=record.plan_expires,
            email=record.email,
        ))
    return report


def format_for(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "json": "json"}.get(suffix, suffix)


def import_profile_file(path: Path | str, default_region: str = "US") -> ImportReport:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileFileError(f"{path.name} is not UTF-8 text") from exc
    return import_profiles(text, format_for(path), default_region)
