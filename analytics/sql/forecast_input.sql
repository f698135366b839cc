-- forecast_input: inbound contacts offered per queue and local half hour (the center's time zone), with what
-- staffing estimates from the records: handle time of answered contacts, and abandons over the time callers
-- spent waiting (the rate of an exponential patience: abandoned / seconds waited, all contacts counted).
-- Voice only: the staffing model (Erlang C, the queue simulation) is one call per agent at a time; chats, SMS
-- conversations and tasks are worked concurrently and are forecast apart when they are staffed apart.
-- The same text runs on Athena: transpiled like the KPI queries (analytics/kpis.py), `callcenter forecast
-- --athena-workgroup` runs it and the contact lake deploys it as the named query kpi-forecast-input.
SELECT
    c.queue_name AS queue_name,
    strftime(CAST(strptime(c.interval_start, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AT TIME ZONE s.time_zone,
             '%Y-%m-%dT%H:%M') AS local_start,
    COUNT(*) AS offered,
    SUM(CASE WHEN c.answered THEN 1 ELSE 0 END) AS handled,
    SUM(CASE WHEN NOT c.answered AND NOT c.became_callback AND c.disconnect_reason = 'CUSTOMER_DISCONNECT'
             THEN 1 ELSE 0 END) AS abandoned,
    SUM(CASE WHEN c.answered THEN c.talk_seconds + c.hold_seconds + c.acw_seconds ELSE 0 END) AS handle_seconds,
    SUM(c.queue_seconds) AS queue_seconds
FROM contacts AS c
CROSS JOIN settings AS s
WHERE c.kind = 'inbound' AND c.channel_key = 'VOICE' AND c.queue_name IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
