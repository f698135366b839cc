-- contact_summary: the center's figures beyond the queues, over every contact in the data (one row).
--
--   inbound_calls          contacts the customer started (InitiationMethod INBOUND).
--   ivr_contained          inbound calls that ended in the IVR: never queued, never transferred out (the
--                          flow answered them: after-hours message, ticket status, a full queue's message).
--   ivr_containment_rate   ivr_contained / inbound_calls.
--   callers                distinct customers (the routing attribute customer_id, else the calling number).
--   repeat_callers         callers with two or more inbound calls on the same day (center's time zone).
--   fcr_7d_*               first-contact-resolution proxy: an answered inbound call from a known caller is
--                          resolved when the same caller makes no new inbound call in the next 7 days. Only
--                          calls whose 7 days end by the last call in the data are judged (fcr_7d_observed).
--   survey_calls / outreach_calls  our own outbound calls, reported apart from the queue figures;
--                          *_connected is how many reached the customer (not CUSTOMER_CONNECTION_NOT_ESTABLISHED).
--   callbacks              queued callbacks (InitiationMethod CALLBACK).
WITH inbound AS (
    SELECT
        c.contact_id,
        c.customer_key,
        c.initiated_at,
        c.local_day,
        c.answered,
        c.queue_name,
        c.transferred_out,
        LEAD(c.initiated_at) OVER (PARTITION BY c.customer_key ORDER BY c.initiated_at) AS next_call_at
    FROM contacts AS c
    WHERE c.initiation_method = 'INBOUND'
), last_call AS (
    SELECT MAX(initiated_at) AS at FROM inbound
), daily AS (
    SELECT customer_key, local_day, COUNT(*) AS calls
    FROM inbound
    WHERE customer_key IS NOT NULL
    GROUP BY customer_key, local_day
), judged AS (
    SELECT
        i.contact_id,
        (i.next_call_at IS NULL OR i.next_call_at > i.initiated_at + INTERVAL 7 DAY) AS resolved
    FROM inbound AS i
    CROSS JOIN last_call AS l
    WHERE i.answered AND i.customer_key IS NOT NULL AND i.initiated_at + INTERVAL 7 DAY <= l.at
)
SELECT
    (SELECT COUNT(*) FROM inbound) AS inbound_calls,
    (SELECT COUNT(*) FROM inbound WHERE queue_name IS NULL AND NOT transferred_out) AS ivr_contained,
    CAST((SELECT COUNT(*) FROM inbound WHERE queue_name IS NULL AND NOT transferred_out) AS DOUBLE)
        / NULLIF((SELECT COUNT(*) FROM inbound), 0) AS ivr_containment_rate,
    (SELECT COUNT(DISTINCT customer_key) FROM inbound) AS callers,
    (SELECT COUNT(DISTINCT customer_key) FROM daily WHERE calls >= 2) AS repeat_callers,
    CAST((SELECT COUNT(DISTINCT customer_key) FROM daily WHERE calls >= 2) AS DOUBLE)
        / NULLIF((SELECT COUNT(DISTINCT customer_key) FROM inbound), 0) AS repeat_caller_rate,
    (SELECT COUNT(*) FROM judged) AS fcr_7d_observed,
    (SELECT SUM(CASE WHEN resolved THEN 1 ELSE 0 END) FROM judged) AS fcr_7d_resolved,
    CAST((SELECT SUM(CASE WHEN resolved THEN 1 ELSE 0 END) FROM judged) AS DOUBLE)
        / NULLIF((SELECT COUNT(*) FROM judged), 0) AS fcr_7d_rate,
    (SELECT COUNT(*) FROM contacts WHERE kind = 'survey') AS survey_calls,
    (SELECT COUNT(*) FROM contacts
      WHERE kind = 'survey' AND COALESCE(disconnect_reason, '') <> 'CUSTOMER_CONNECTION_NOT_ESTABLISHED') AS survey_calls_connected,
    (SELECT COUNT(*) FROM contacts WHERE kind = 'outreach') AS outreach_calls,
    (SELECT COUNT(*) FROM contacts
      WHERE kind = 'outreach' AND COALESCE(disconnect_reason, '') <> 'CUSTOMER_CONNECTION_NOT_ESTABLISHED') AS outreach_calls_connected,
    (SELECT COUNT(*) FROM contacts WHERE initiation_method = 'CALLBACK') AS callbacks,
    (SELECT COUNT(*) FROM contacts WHERE transferred_out) AS transfers_out
