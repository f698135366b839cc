-- occupancy: per agent, the share of staffed time spent on contacts. Connect defines occupancy as
-- handle time / (handle time + idle time); contact records carry the handle time (talk + hold + after-contact
-- work of the contacts the agent answered), the staffed time (logged in and not in a non-productive status)
-- comes from agent_sessions. occupancy = handle_seconds / staffed_seconds.
WITH handled AS (
    SELECT agent_username, SUM(talk_seconds + hold_seconds + acw_seconds) AS handle_seconds, COUNT(*) AS contacts
    FROM contacts
    WHERE answered AND agent_username IS NOT NULL
    GROUP BY agent_username
), staffed AS (
    SELECT
        username AS agent_username,
        SUM(date_diff('second', CAST(strptime(starttimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ),
                      CAST(strptime(endtimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ))) AS staffed_seconds
    FROM agent_sessions
    GROUP BY username
)
SELECT
    COALESCE(s.agent_username, h.agent_username) AS agent,
    COALESCE(h.contacts, 0) AS contacts,
    COALESCE(h.handle_seconds, 0) AS handle_seconds,
    s.staffed_seconds AS staffed_seconds
FROM staffed AS s
FULL OUTER JOIN handled AS h ON h.agent_username = s.agent_username
ORDER BY 1
