-- contacts: one row per contact, the latest version of its record, with what every KPI reads.
--
-- Connect delivers a contact record at least once and again when the contact changes after it ended
-- (after-contact work, attribute updates): the row kept per ContactId is the one with the latest
-- LastUpdateTimestamp, whatever order the versions arrived in.
--
-- kind: 'inbound' for contacts that reach queues on the customer's behalf (inbound calls, transfers, queued
-- callbacks; chats, SMS conversations and tasks, which Connect starts through its API: StartChatContact,
-- StartTaskContact), which are the only ones the queue figures count; our post-call survey calls and outreach
-- calls (StartOutboundVoiceContact: InitiationMethod API, marked by their attributes) are reported apart.
--
-- channel_key: the channel the report breaks figures down by: Connect's Channel (VOICE, CHAT, TASK, EMAIL),
-- except that an SMS conversation is 'SMS': a CHAT with the segment attribute connect:Subtype = connect:SMS (a
-- number in Connect's SMS channel), or one our sms-inbound function started for a text (contact attribute
-- channel_subtype = 'sms', functions/sms/handler.py).
--
-- A contact is attributed to the half hour it entered the queue (Connect's "contacts queued" uses the
-- enqueue timestamp), or it started if it never queued. The half hour is the UTC instant floored to 1,800 s:
-- exact for every zone whose offset is a whole number of half hours (the center's is America/New_York), and
-- it keeps the two 01:00 half hours of a fall-back day apart (a DST day has 46 or 50 of them).
WITH versions AS (
    -- Every version of every record, flattened to what the KPIs read (the ranking window then carries
    -- scalars, not whole records); read twice below, for the ranking and for the callbacks.
    SELECT
        r.contactid AS contact_id,
        r.lastupdatetimestamp AS last_update,
        r.channel AS channel,
        COALESCE(r.segmentattributes['connect:Subtype'].valuestring,
                 CASE WHEN r.attributes['channel_subtype'] = 'sms' THEN 'connect:SMS' END) AS subtype,
        r.initiationmethod AS initiation_method,
        r.attributes['call_type'] AS call_type,
        r.attributes['survey_contact_id'] AS survey_contact_id,
        r.attributes['campaign'] AS campaign,
        r.queue.name AS queue_name,
        CAST(strptime(r.initiationtimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AS initiated_at,
        CAST(strptime(r.queue.enqueuetimestamp, '%Y-%m-%dT%H:%M:%SZ') AS TIMESTAMPTZ) AS enqueued_at,
        COALESCE(r.queue.duration, 0) AS queue_seconds,
        r.agent.connectedtoagenttimestamp IS NOT NULL AS answered,
        r.agent.username AS agent_username,
        COALESCE(r.agent.agentinteractionduration, 0) AS talk_seconds,
        COALESCE(r.agent.customerholdduration, 0) AS hold_seconds,
        COALESCE(r.agent.aftercontactworkduration, 0) AS acw_seconds,
        r.disconnectreason AS disconnect_reason,
        r.previouscontactid AS previous_contact_id,
        r.transfercompletedtimestamp IS NOT NULL AS transferred_out,
        COALESCE(r.attributes['customer_id'], r.customerendpoint.address) AS customer_key,
        COALESCE(r.attributes['reason'], 'NONE') AS routing_reason
    FROM contact_records AS r
)
SELECT
    c.contact_id,
    c.channel,
    CASE WHEN c.channel = 'CHAT' AND c.subtype = 'connect:SMS' THEN 'SMS' ELSE c.channel END AS channel_key,
    c.initiation_method,
    CASE
        WHEN c.initiation_method IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER', 'CALLBACK') THEN 'inbound'
        WHEN c.call_type = 'survey' OR c.survey_contact_id IS NOT NULL THEN 'survey'
        WHEN c.call_type = 'outreach' OR c.campaign IS NOT NULL THEN 'outreach'
        WHEN c.channel IN ('CHAT', 'TASK', 'EMAIL') THEN 'inbound'
        ELSE 'other'
    END AS kind,
    c.queue_name,
    c.initiated_at,
    c.enqueued_at,
    c.queue_seconds,
    c.answered,
    c.agent_username,
    c.talk_seconds,
    c.hold_seconds,
    c.acw_seconds,
    c.disconnect_reason,
    c.previous_contact_id,
    c.transferred_out,
    cb.previous_contact_id IS NOT NULL AS became_callback,
    c.customer_key,
    c.routing_reason,
    COALESCE(c.queue_name, 'not queued') AS routed_to,
    strftime(c.interval_utc, '%Y-%m-%dT%H:%M:%SZ') AS interval_start,
    strftime(c.interval_utc AT TIME ZONE s.time_zone, '%Y-%m-%d') AS local_day
FROM (
    -- Ranked newest first per ContactId; the half hour is computed once per version.
    SELECT
        v.*,
        to_timestamp(floor(epoch(COALESCE(v.enqueued_at, v.initiated_at)) / 1800) * 1800) AS interval_utc,
        ROW_NUMBER() OVER (PARTITION BY v.contact_id ORDER BY v.last_update DESC) AS version_rank
    FROM versions AS v
) AS c
CROSS JOIN settings AS s
LEFT JOIN (
    SELECT DISTINCT previous_contact_id
    FROM versions
    WHERE initiation_method = 'CALLBACK' AND previous_contact_id IS NOT NULL
) AS cb ON cb.previous_contact_id = c.contact_id
WHERE c.version_rank = 1
