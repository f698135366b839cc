-- occupancy: per agent, the share of staffed time spent on contacts. Connect defines occupancy as
-- handle time / (handle time + idle time); contact records carry the handle time (talk + hold + after-contact
-- work of the contacts the agent answered), the staffed time (logged in and not in a non-productive status)
-- comes from agent_sessions. occupancy = handle_seconds / staffed_seconds, both over the days (center's time
-- zone) the agent has staffed time in the data: contacts on a day without a session (data that holds only
-- part of a day's story, such as a day of outreach calls alone) are counted in contacts_unstaffed, not
-- against another day's staffed time.
WITH handled AS (
    SELECT agent_username, local_day, SUM(talk_seconds + hold_seconds + acw_seconds) AS handle_seconds,
           COUNT(*) AS contacts
    FROM contacts
    WHERE answered AND agent_username IS NOT NULL
    GROUP BY agent_username, local_day
), staffed AS (
    SELECT
        a.username AS agent_username,
        strftime(CAST(strptime(a.starttimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AT TIME ZONE st.time_zone,
                 '%Y-%m-%d') AS local_day,
        SUM(date_diff('second', CAST(strptime(a.starttimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ),
                      CAST(strptime(a.endtimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ))) AS staffed_seconds
    FROM agent_sessions AS a
    CROSS JOIN settings AS st
    GROUP BY 1, 2
), agent_days AS (
    SELECT
        COALESCE(s.agent_username, h.agent_username) AS agent,
        COALESCE(h.contacts, 0) AS contacts,
        COALESCE(h.handle_seconds, 0) AS handle_seconds,
        s.staffed_seconds AS staffed_seconds
    FROM staffed AS s
    FULL OUTER JOIN handled AS h ON h.agent_username = s.agent_username AND h.local_day = s.local_day
)
SELECT
    agent,
    SUM(CASE WHEN staffed_seconds IS NOT NULL THEN contacts ELSE 0 END) AS contacts,
    SUM(CASE WHEN staffed_seconds IS NOT NULL THEN handle_seconds ELSE 0 END) AS handle_seconds,
    SUM(staffed_seconds) AS staffed_seconds,
    SUM(CASE WHEN staffed_seconds IS NULL THEN contacts ELSE 0 END) AS contacts_unstaffed
FROM agent_days
GROUP BY agent
ORDER BY 1
