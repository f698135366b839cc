-- aht_distribution: handled contacts (kind 'inbound', queued, answered) by handle time
-- (talk + hold + after-contact work), in 30-second buckets, for the report's histogram.
SELECT
    CAST(floor((c.talk_seconds + c.hold_seconds + c.acw_seconds) / 30) * 30 AS BIGINT) AS bucket_start_seconds,
    COUNT(*) AS contacts
FROM contacts AS c
WHERE c.kind = 'inbound' AND c.queue_name IS NOT NULL AND c.answered
GROUP BY 1
ORDER BY 1
