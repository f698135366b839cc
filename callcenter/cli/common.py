"""What the command groups share: consoles, argument types that refuse bad input, the profile file."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_PROFILES = REPO_ROOT / "demo" / "profiles.csv"
DEMO_STAFFING = REPO_ROOT / "demo" / "staffing.json"
#: Amazon Connect's channels and the initiation methods a contact can carry (what the flow and routing read).
CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
INITIATIONS = ("INBOUND", "OUTBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API", "DISCONNECT", "MONITOR",
               "EXTERNAL_OUTBOUND")


def console() -> Any:
    from rich.console import Console

    # Piped output (CI logs, files) gets a fixed width instead of rich's 80-column default.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def error_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)


def today() -> date:
    """Today in UTC, from the functions' clock helper (the one place the local runtime reads the wall clock)."""
    from functions.common.clock import utc_now

    return utc_now().date()


def now() -> datetime:
    from functions.common.clock import utc_now

    return utc_now()


# --- argument types: each refuses bad input with a message that says what is expected ------------------------

def aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time like 2026-11-24T10:30:00-05:00") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-11-24T10:30:00-05:00")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-24") from exc


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def known_queue(text: str) -> str:
    """A queue (team) of the routing policy."""
    from functions.routing.policy import load_policy

    queues = load_policy().queues
    if text not in queues:
        raise argparse.ArgumentTypeError(f"unknown queue {text!r}; queues: {', '.join(sorted(queues))}")
    return text


def phone_number(text: str) -> str:
    """A valid phone number, any format; returned in E.164."""
    from functions.common.phone import InvalidPhoneNumber, normalize_e164

    try:
        return normalize_e164(text)
    except InvalidPhoneNumber as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a phone number ({exc})") from exc


def one_of(choices: tuple[str, ...]) -> Any:
    """Case-insensitive choice among `choices` (given in upper case)."""

    def parse(text: str) -> str:
        value = text.strip().upper()
        if value not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return value

    return parse


# --- profiles --------------------------------------------------------------------------------------------------

def import_profiles(path: Path, out: Any, quiet: bool = False) -> Any:
    """The profile file's report (accepted and rejected rows); rejected rows are always printed."""
    from functions.profiles.importer import ProfileFileError, import_profile_file

    try:
        report = import_profile_file(path)
    except (OSError, ProfileFileError) as exc:
        raise SystemExit(f"callcenter: cannot read {path}: {exc}") from exc
    if not quiet or report.rejected:
        out.print(f"{path}: {len(report.accepted)} profile(s) accepted, {len(report.rejected)} rejected")
        for row in report.rejected:
            out.print(f"  line {row.line}: {row.reason}")
    return report


def profiles_option(parser: argparse.ArgumentParser, what: str = "profile file loaded first") -> None:
    parser.add_argument("--profiles", type=Path, default=DEMO_PROFILES, metavar="FILE",
                        help=f"{what} (default: {DEMO_PROFILES.relative_to(REPO_ROOT)})")


# --- staffing ----------------------------------------------------------------------------------------------------

def staffing_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staffing", type=Path, default=DEMO_STAFFING, metavar="FILE",
                        help="the agents: per shift and routing profile (default: "
                             f"{DEMO_STAFFING.relative_to(REPO_ROOT)}; format: callcenter/queueing/staffing.py)")


def read_staffing(path: Path) -> Any:
    """The staffing file, validated; a bad one ends the command with what is wrong and where."""
    from callcenter.queueing.staffing import StaffingError, load_staffing

    try:
        return load_staffing(path)
    except StaffingError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
