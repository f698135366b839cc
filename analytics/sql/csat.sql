-- csat: post-contact survey answers joined to the contact they rate, per queue, day (center's time zone) and
-- channel of the rated contact ('unknown' when its record is missing), as sums the report rolls up (overall,
-- per queue, per day, per channel). A survey answered twice (a redelivered record)
-- counts once: its latest AnsweredTimestamp.
--   csat          share of scores of 4 or 5 (of 5): scores_good / scores; avg_score = score_sum / scores.
--   stated_fcr    share of answers to "was your problem resolved?" that said yes: fcr_yes / fcr_answers
--                 (the survey's FCR, shown beside the 7-day proxy of contact_summary).
SELECT
    COALESCE(c.queue_name, 'not queued') AS queue_name,
    strftime(CAST(strptime(s.answeredtimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AT TIME ZONE st.time_zone,
             '%Y-%m-%d') AS local_day,
    COALESCE(c.channel_key, 'unknown') AS channel,
    COUNT(*) AS surveys_answered,
    COUNT(s.score) AS scores,
    SUM(s.score) AS score_sum,
    SUM(CASE WHEN s.score >= 4 THEN 1 ELSE 0 END) AS scores_good,
    SUM(CASE WHEN s.resolved IN ('yes', 'no') THEN 1 ELSE 0 END) AS fcr_answers,
    SUM(CASE WHEN s.resolved = 'yes' THEN 1 ELSE 0 END) AS fcr_yes
FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.contactid ORDER BY r.answeredtimestamp DESC) AS version_rank
    FROM survey_results AS r
) AS s
CROSS JOIN settings AS st
LEFT JOIN contacts AS c ON c.contact_id = s.contactid
WHERE s.version_rank = 1
GROUP BY 1, 2, 3
ORDER BY 2, 1, 3
