-- sentiment: how live-sentiment summaries (functions/sentiment: the caller's score at the start and the end of the
-- call, -1 to 1, from Contact Lens' per-turn sentiment) end, per queue, per agent and overall (GROUPING SETS;
-- grouping_level says which row it is: 1 per queue, 2 per agent, 3 overall), joined to the contact they describe.
-- A summary written twice (a redelivered COMPLETED record) counts once: its latest SummarizedTimestamp.
--   contacts_analysed      inbound contacts with a summary.
--   ended_negative         of those, the caller's last turns scored at or below the rules' threshold.
--   share_ended_negative   ended_negative / contacts_analysed.
--   avg_start_score, avg_end_score   mean caller score over the first and the last turns.
--   contacts_with_rules_fired        contacts where at least one live rule fired (a hint or an alert).
SELECT
    COALESCE(c.queue_name, 'not queued') AS queue_name,
    COALESCE(c.agent_username, 'no agent') AS agent,
    GROUPING(COALESCE(c.queue_name, 'not queued'), COALESCE(c.agent_username, 'no agent')) AS grouping_level,
    COUNT(*) AS contacts_analysed,
    SUM(CASE WHEN s.endednegative THEN 1 ELSE 0 END) AS ended_negative,
    CAST(SUM(CASE WHEN s.endednegative THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(*), 0) AS share_ended_negative,
    AVG(s.startscore) AS avg_start_score,
    AVG(s.endscore) AS avg_end_score,
    SUM(CASE WHEN COALESCE(s.rulesfired, '') <> '' THEN 1 ELSE 0 END) AS contacts_with_rules_fired
FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.contactid ORDER BY r.summarizedtimestamp DESC) AS version_rank
    FROM sentiment_summaries AS r
) AS s
JOIN contacts AS c ON c.contact_id = s.contactid
WHERE s.version_rank = 1 AND c.kind = 'inbound'
GROUP BY GROUPING SETS ((COALESCE(c.queue_name, 'not queued')), (COALESCE(c.agent_username, 'no agent')), ())
ORDER BY 3, 1, 2
