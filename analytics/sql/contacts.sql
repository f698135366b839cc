-- contacts: one row per contact, the latest version of its record, with what every KPI reads.
--
-- Connect delivers a contact record at least once and again when the contact changes after it ended
-- (after-contact work, attribute updates): the row kept per ContactId is the one with the latest
-- LastUpdateTimestamp, whatever order the versions arrived in.
--
-- kind: 'inbound' for contacts that reach queues on the customer's behalf (inbound calls, transfers, queued
-- callbacks), which are the only ones the queue figures count; our post-call survey calls and outreach
-- calls (StartOutboundVoiceContact: InitiationMethod API, marked by their attributes) are reported apart.
--
-- A contact is attributed to the half hour it entered the queue (Connect's "contacts queued" uses the
-- enqueue timestamp), or it started if it never queued. The half hour is the UTC instant floored to 1,800 s:
-- exact for every zone whose offset is a whole number of half hours (the center's is America/New_York), and
-- it keeps the two 01:00 half hours of a fall-back day apart (a DST day has 46 or 50 of them).
SELECT
    c.contactid AS contact_id,
    c.channel AS channel,
    c.initiationmethod AS initiation_method,
    CASE
        WHEN c.initiationmethod IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER', 'CALLBACK') THEN 'inbound'
        WHEN c.attributes['call_type'] = 'survey' OR c.attributes['survey_contact_id'] IS NOT NULL THEN 'survey'
        WHEN c.attributes['call_type'] = 'outreach' OR c.attributes['campaign'] IS NOT NULL THEN 'outreach'
        ELSE 'other'
    END AS kind,
    c.queue.name AS queue_name,
    CAST(strptime(c.initiationtimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AS initiated_at,
    CAST(strptime(c.queue.enqueuetimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AS enqueued_at,
    COALESCE(c.queue.duration, 0) AS queue_seconds,
    c.agent.connectedtoagenttimestamp IS NOT NULL AS answered,
    c.agent.username AS agent_username,
    COALESCE(c.agent.agentinteractionduration, 0) AS talk_seconds,
    COALESCE(c.agent.customerholdduration, 0) AS hold_seconds,
    COALESCE(c.agent.aftercontactworkduration, 0) AS acw_seconds,
    c.disconnectreason AS disconnect_reason,
    c.previouscontactid AS previous_contact_id,
    c.transfercompletedtimestamp IS NOT NULL AS transferred_out,
    cb.previous_contact_id IS NOT NULL AS became_callback,
    COALESCE(c.attributes['customer_id'], c.customerendpoint.address) AS customer_key,
    COALESCE(c.attributes['reason'], 'NONE') AS routing_reason,
    COALESCE(c.queue.name, 'not queued') AS routed_to,
    strftime(
        to_timestamp(floor(epoch(CAST(strptime(COALESCE(c.queue.enqueuetimestamp, c.initiationtimestamp),
                                               '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ)) / 1800) * 1800),
        '%Y-%m-%dT%H:%M:%SZ') AS interval_start,
    strftime(
        to_timestamp(floor(epoch(CAST(strptime(COALESCE(c.queue.enqueuetimestamp, c.initiationtimestamp),
                                               '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ)) / 1800) * 1800)
        AT TIME ZONE s.time_zone,
        '%Y-%m-%d') AS local_day
FROM (
    SELECT
        r.*,
        ROW_NUMBER() OVER (PARTITION BY r.contactid ORDER BY r.lastupdatetimestamp DESC) AS version_rank
    FROM contact_records AS r
) AS c
CROSS JOIN settings AS s
LEFT JOIN (
    SELECT DISTINCT previouscontactid AS previous_contact_id
    FROM contact_records
    WHERE initiationmethod = 'CALLBACK' AND previouscontactid IS NOT NULL
) AS cb ON cb.previous_contact_id = c.contactid
WHERE c.version_rank = 1
