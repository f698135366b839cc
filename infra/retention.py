"""How long the stack keeps what it stores outside its tables: call recordings, who read them, Connect's flow logs.

Each period is a context value (cdk.json or `-c key=value`, a whole number of days); unset or "" keeps the default:

| context key                  | default | what expires                                                               |
| ---------------------------- | ------- | -------------------------------------------------------------------------- |
| `recording_retention_days`   | 365     | call recordings (then their noncurrent versions after NONCURRENT_DAYS)     |
| `access_log_retention_days`  | 365     | S3 access logs of the recordings bucket; never shorter than the recordings |
|                              |         | (unset: the longer of 365 and `recording_retention_days`)                  |
| `flow_log_retention_days`    | 30      | Connect's flow logs (/aws/connect/<alias>): numbers, names, ticket status  |

The defaults keep a recording long enough for a dispute or a quality review (a year) and no longer; the record of who
read a recording lives at least as long as the recording; flow logs carry personal data and are kept like the
functions' own logs (a month). CloudWatch Logs accepts only certain periods (LOG_RETENTION_DAYS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import aws_logs as logs

RECORDING_RETENTION_KEY = "recording_retention_days"
ACCESS_LOG_RETENTION_KEY = "access_log_retention_days"
FLOW_LOG_RETENTION_KEY = "flow_log_retention_days"
NONCURRENT_DAYS = 30  # a deleted or overwritten recording can be restored this long
INCOMPLETE_UPLOAD_DAYS = 7  # parts of an upload that never completed
# The periods CloudWatch Logs accepts (PutRetentionPolicy), by days.
LOG_RETENTION_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}


@dataclass(frozen=True)
class Retention:
    recording_days: int = 365
    access_log_days: int = 365
    flow_log_days: int = 30

    def __post_init__(self) -> None:
        for key, days in ((RECORDING_RETENTION_KEY, self.recording_days),
                          (ACCESS_LOG_RETENTION_KEY, self.access_log_days),
                          (FLOW_LOG_RETENTION_KEY, self.flow_log_days)):
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                raise ValueError(f"{key} must be a whole number of days, at least 1 (got {days!r})")
        if self.access_log_days < self.recording_days:
            raise ValueError(f"{ACCESS_LOG_RETENTION_KEY} ({self.access_log_days}) must be at least "
                             f"{RECORDING_RETENTION_KEY} ({self.recording_days}): who read a recording is kept as long "
                             "as the recording")
        if self.flow_log_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{FLOW_LOG_RETENTION_KEY} must be a period CloudWatch Logs accepts, one of "
                             f"{', '.join(map(str, LOG_RETENTION_DAYS))} (got {self.flow_log_days})")

    @property
    def flow_log_retention(self) -> logs.RetentionDays:
        return LOG_RETENTION_DAYS[self.flow_log_days]

    @classmethod
    def from_context(cls, value_of: Callable[[str], str | None]) -> Retention:
        """From context values as text (None: the default); a value that is not a whole number is refused."""
        given: dict[str, int] = {}
        for key, field_name in ((RECORDING_RETENTION_KEY, "recording_days"),
                                (ACCESS_LOG_RETENTION_KEY, "access_log_days"),
                                (FLOW_LOG_RETENTION_KEY, "flow_log_days")):
            text = value_of(key)
            if text is None:
                continue
            if not text.isdigit():
                raise ValueError(f"{key} must be a whole number of days (got {text!r})")
            given[field_name] = int(text)
        if "access_log_days" not in given and "recording_days" in given:
            # Longer recordings without a word about access logs: keep those as long as the recordings.
            given["access_log_days"] = max(cls.access_log_days, given["recording_days"])
        return cls(**given)
