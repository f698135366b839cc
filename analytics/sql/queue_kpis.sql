-- queue_kpis: the queue figures per queue and half hour, per queue, and overall (GROUPING SETS; the
-- queue_name and interval_start of a roll-up row are NULL, and grouping_level says which row it is).
--
-- Counted: contacts of kind 'inbound' that entered a queue (inbound calls, transfers, queued callbacks).
--   offered    Connect's "Contacts queued".
--   handled    reached an agent ("Contacts handled").
--   abandoned  queued, never reached an agent, the customer hung up; a contact that became a queued callback
--              is not abandoned (Connect: "Contacts queued for callback are not counted as abandoned").
--   abandonment_rate = abandoned / offered (Connect's data lake reference query: abandoned / queued).
--   service_level (Connect's definition, admin guide "Service level X seconds"): the share of contacts
--       removed from the queue between 0 and X seconds after being added to it, where a contact is removed
--       when an agent answers it, the customer abandons it, or the customer requests a callback:
--       (contacts removed from queue in X seconds / contacts queued). A caller who hangs up within X
--       seconds therefore counts as within the service level.
--   service_level_answered: contacts answered by an agent within X seconds / contacts offered (a short
--       abandon counts against it).
--   "within X seconds" is queue time < X: Connect's service-level threshold comparison is "less than" (LT).
--   X is the contact's queue's threshold (queue_targets: the policy's per-queue service_level.seconds, or
--   the report's override).
--   asa_seconds      mean queue time of answered contacts ("Average queue answer time").
--   aht_seconds      mean of talk + customer hold + after-contact work over handled contacts.
--   longest_wait_seconds  the longest queue time of any contact offered ("Maximum queued time").
--   transfers_in / transfers_out  contacts that came in as a transfer / an agent transferred out.
SELECT
    k.queue_name AS queue_name,
    k.interval_start AS interval_start,
    MAX(k.local_day) AS local_day,
    GROUPING(k.queue_name, k.interval_start) AS grouping_level,
    COUNT(*) AS contacts_offered,
    SUM(CASE WHEN k.answered THEN 1 ELSE 0 END) AS contacts_handled,
    SUM(CASE WHEN k.is_abandoned THEN 1 ELSE 0 END) AS contacts_abandoned,
    SUM(CASE WHEN k.became_callback THEN 1 ELSE 0 END) AS callbacks_requested,
    SUM(CASE WHEN k.answered AND k.queue_seconds < k.threshold_seconds THEN 1 ELSE 0 END) AS answered_within_threshold,
    SUM(CASE WHEN (k.answered OR k.is_abandoned OR k.became_callback) AND k.queue_seconds < k.threshold_seconds
             THEN 1 ELSE 0 END) AS removed_within_threshold,
    SUM(CASE WHEN k.is_abandoned AND k.queue_seconds < k.threshold_seconds THEN 1 ELSE 0 END) AS abandoned_within_threshold,
    SUM(CASE WHEN k.initiation_method IN ('TRANSFER', 'QUEUE_TRANSFER') THEN 1 ELSE 0 END) AS transfers_in,
    SUM(CASE WHEN k.transferred_out THEN 1 ELSE 0 END) AS transfers_out,
    CAST(SUM(CASE WHEN k.is_abandoned THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(*), 0) AS abandonment_rate,
    CAST(SUM(CASE WHEN (k.answered OR k.is_abandoned OR k.became_callback) AND k.queue_seconds < k.threshold_seconds
                  THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF(COUNT(*), 0) AS service_level,
    CAST(SUM(CASE WHEN k.answered AND k.queue_seconds < k.threshold_seconds THEN 1 ELSE 0 END) AS DOUBLE)
        / NULLIF(COUNT(*), 0) AS service_level_answered,
    AVG(CASE WHEN k.answered THEN CAST(k.queue_seconds AS DOUBLE) END) AS asa_seconds,
    AVG(CASE WHEN k.answered THEN CAST(k.talk_seconds + k.hold_seconds + k.acw_seconds AS DOUBLE) END) AS aht_seconds,
    MAX(k.queue_seconds) AS longest_wait_seconds,
    SUM(CASE WHEN k.answered THEN k.talk_seconds + k.hold_seconds + k.acw_seconds ELSE 0 END) AS handle_seconds
FROM (
    SELECT
        c.*,
        COALESCE(t.threshold_seconds, s.threshold_seconds) AS threshold_seconds,
        (NOT c.answered AND NOT c.became_callback AND c.disconnect_reason = 'CUSTOMER_DISCONNECT') AS is_abandoned
    FROM contacts AS c
    CROSS JOIN settings AS s
    LEFT JOIN queue_targets AS t ON t.queue_name = c.queue_name
    WHERE c.kind = 'inbound' AND c.queue_name IS NOT NULL
) AS k
GROUP BY GROUPING SETS ((k.queue_name, k.interval_start), (k.queue_name), ())
