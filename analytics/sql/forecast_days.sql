-- forecast_days: the local days (the center's time zone) with any inbound call record, queued or not. The
-- forecast counts a day missing from them as a gap in the history (analytics/forecast.py), not as a day of no
-- calls. Runs locally and, transpiled, on Athena beside forecast_input.
SELECT DISTINCT c.local_day AS local_day
FROM contacts AS c
WHERE c.kind = 'inbound' AND c.channel_key = 'VOICE'
ORDER BY 1
