-- outreach: conversion per campaign. One row per attempt (the latest record of an AttemptId);
-- converted / attempts is the conversion rate, converted / reached the rate among customers reached.
WITH latest AS (
    SELECT o.*, ROW_NUMBER() OVER (PARTITION BY o.attemptid ORDER BY o.attempttimestamp DESC) AS version_rank
    FROM outreach_results AS o
)
SELECT
    COALESCE(l.campaign, 'unknown') AS campaign,
    COUNT(*) AS attempts,
    SUM(CASE WHEN COALESCE(l.outcome, 'no_answer') NOT IN ('no_answer', 'failed') THEN 1 ELSE 0 END) AS reached,
    SUM(CASE WHEN l.converted THEN 1 ELSE 0 END) AS converted
FROM latest AS l
WHERE l.version_rank = 1
GROUP BY 1
ORDER BY 1
