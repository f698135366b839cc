-- channel_kpis: the center's figures per channel (channel_key: VOICE, CHAT, SMS, TASK, EMAIL; see contacts.sql),
-- and per channel and queue (GROUPING SETS; grouping_level 0 = channel and queue, 1 = channel).
--
-- Every contact of kind 'inbound' on the channel counts in `contacts`; `self_served` are those that ended
-- without a queue or a transfer (the flow answered them: after-hours message, ticket status, a survey reply
-- by SMS). The queue figures count the queued ones, with the definitions of queue_kpis.sql (service level:
-- removed from the queue within the queue's threshold; ASA over answered; AHT = talk + hold + after-contact
-- work over handled). Distinct customers are counted on the routing attribute customer_id, else the endpoint.
SELECT
    k.channel_key AS channel,
    k.queue_name AS queue_name,
    GROUPING(k.channel_key, k.queue_name) AS grouping_level,
    COUNT(*) AS contacts,
    COUNT(DISTINCT k.customer_key) AS customers,
    SUM(CASE WHEN k.queue_name IS NULL AND NOT k.transferred_out THEN 1 ELSE 0 END) AS self_served,
    SUM(CASE WHEN k.queue_name IS NOT NULL THEN 1 ELSE 0 END) AS contacts_offered,
    SUM(CASE WHEN k.queue_name IS NOT NULL AND k.answered THEN 1 ELSE 0 END) AS contacts_handled,
    SUM(CASE WHEN k.is_abandoned THEN 1 ELSE 0 END) AS contacts_abandoned,
    CAST(SUM(CASE WHEN k.is_abandoned THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(SUM(CASE WHEN k.queue_name IS NOT NULL THEN 1 ELSE 0 END), 0) AS abandonment_rate,
    CAST(SUM(CASE WHEN k.queue_name IS NOT NULL AND (k.answered OR k.is_abandoned OR k.became_callback)
                       AND k.queue_seconds < k.threshold_seconds THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(SUM(CASE WHEN k.queue_name IS NOT NULL THEN 1 ELSE 0 END), 0) AS service_level,
    AVG(CASE WHEN k.queue_name IS NOT NULL AND k.answered THEN CAST(k.queue_seconds AS DOUBLE) END) AS asa_seconds,
    AVG(CASE WHEN k.queue_name IS NOT NULL AND k.answered
             THEN CAST(k.talk_seconds + k.hold_seconds + k.acw_seconds AS DOUBLE) END) AS aht_seconds,
    MAX(CASE WHEN k.queue_name IS NOT NULL THEN k.queue_seconds END) AS longest_wait_seconds
FROM (
    SELECT
        c.*,
        COALESCE(t.threshold_seconds, s.threshold_seconds) AS threshold_seconds,
        (c.queue_name IS NOT NULL AND NOT c.answered AND NOT c.became_callback
         AND c.disconnect_reason = 'CUSTOMER_DISCONNECT') AS is_abandoned
    FROM contacts AS c
    CROSS JOIN settings AS s
    LEFT JOIN queue_targets AS t ON t.queue_name = c.queue_name
    WHERE c.kind = 'inbound'
) AS k
GROUP BY GROUPING SETS ((k.channel_key, k.queue_name), (k.channel_key))
