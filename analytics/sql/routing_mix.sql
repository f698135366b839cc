-- routing_mix: how inbound calls were routed: the routing Lambda's reason (contact attribute `reason`) and
-- the queue the call reached ('not queued' when it ended in the IVR).
SELECT
    c.routing_reason AS reason,
    c.routed_to AS queue_name,
    COUNT(*) AS contacts
FROM contacts AS c
WHERE c.initiation_method = 'INBOUND'
GROUP BY c.routing_reason, c.routed_to
ORDER BY contacts DESC, reason, queue_name
