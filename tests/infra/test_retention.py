"""Retention periods from the context: safe defaults, whole days, periods CloudWatch Logs accepts, and access logs
kept at least as long as the recordings they audit."""

from __future__ import annotations

import pytest

from infra.retention import LOG_RETENTION_DAYS, Retention

pytestmark = pytest.mark.infra


def _from(**values: str) -> Retention:
    return Retention.from_context(values.get)


def test_unset_values_keep_the_defaults() -> None:
    assert _from() == Retention(recording_days=365, access_log_days=365, flow_log_days=30)


def test_every_period_can_be_set() -> None:
    retention = _from(recording_retention_days="730", access_log_retention_days="1096", flow_log_retention_days="90")
    assert (retention.recording_days, retention.access_log_days, retention.flow_log_days) == (730, 1096, 90)


def test_longer_recordings_keep_their_access_logs_as_long_unless_told_otherwise() -> None:
    assert _from(recording_retention_days="2557").access_log_days == 2557
    assert _from(recording_retention_days="90").access_log_days == 365


def test_access_logs_shorter_than_the_recordings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"access_log_retention_days \(365\) must be at least recording_"):
        _from(recording_retention_days="730", access_log_retention_days="365")


@pytest.mark.parametrize("value", ["forever", "-1", "1.5", "0", " "])
def test_a_period_that_is_not_a_positive_whole_number_of_days_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="whole number of days"):
        _from(recording_retention_days=value)


def test_a_flow_log_period_cloudwatch_does_not_accept_is_refused_with_the_choices() -> None:
    assert 31 not in LOG_RETENTION_DAYS
    with pytest.raises(ValueError, match="one of 1, 3, 5, 7, 14, 30"):
        _from(flow_log_retention_days="31")
