-- tickets: SLA compliance per team. A ticket is judged once it is resolved or its due time has passed by
-- the latest moment in the ticket data (never the wall clock): compliant when resolved by its due time.
-- The latest version of a ticket's record counts (by CreatedTimestamp, then ResolvedTimestamp).
WITH latest AS (
    SELECT
        t.*,
        ROW_NUMBER() OVER (PARTITION BY t.ticketid ORDER BY t.resolvedtimestamp DESC NULLS LAST) AS version_rank
    FROM ticket_records AS t
), as_of AS (
    SELECT MAX(GREATEST(createdtimestamp, COALESCE(resolvedtimestamp, createdtimestamp))) AS at FROM ticket_records
)
SELECT
    l.team AS team,
    COUNT(*) AS tickets,
    SUM(CASE WHEN l.resolvedtimestamp IS NOT NULL OR l.duetimestamp <= a.at THEN 1 ELSE 0 END) AS tickets_judged,
    SUM(CASE WHEN l.resolvedtimestamp IS NOT NULL AND l.resolvedtimestamp <= l.duetimestamp THEN 1 ELSE 0 END)
        AS resolved_within_sla
FROM latest AS l
CROSS JOIN as_of AS a
WHERE l.version_rank = 1
GROUP BY l.team
ORDER BY l.team
