"""Which function handles which event source, declared once.

Read by the CDK app (infra/constructs/functions.py creates each function, its
environment, its grants and its event source; the messaging constructs create
QUEUES, EVENT_RULES and EVENT_BUS) and by the local runtime (callcenter/backend.py
maps flow placeholders `{{lambda:NAME}}` to these handlers, creates the same queues,
rules and bus on moto, and feeds SQS messages to the consumers as Lambda would).

Longer than our usual 400 lines on purpose: it is one declaration, read (and reviewed) as a whole.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
from msgspec import field


class ConnectFlowSource(msgspec.Struct, frozen=True):
    """Invoked synchronously from contact flows, which refer to it as {{lambda:<function name>}}.

    The flow's InvocationTimeLimitSeconds must exceed the function timeout (checked by flow lint).
    """


class SqsSource(msgspec.Struct, frozen=True):
    """Consumes a queue of QUEUES in batches, reporting partial batch failures (ReportBatchItemFailures)."""

    queue: str
    batch_size: int = 10
    max_batching_window_seconds: int = 0
    # The most instances the event source mapping runs at once (ScalingConfig.MaximumConcurrency, 2-1000);
    # None: no cap (the account's unreserved concurrency). Required for a function with `connect_rates`.
    maximum_concurrency: int | None = None


class ScheduleSource(msgspec.Struct, frozen=True):
    """Invoked by EventBridge Scheduler: one schedule per enabled campaign of functions/outreach/campaigns.json.

    Each schedule has the campaign's cron expression and IANA time zone, and passes
    `Campaign.schedule_input()` as the event (its `scheduled_time` filled in by the scheduler).
    """

    campaigns: str = "functions/outreach/campaigns.json"


class ApiSource(msgspec.Struct, frozen=True):
    """Invoked by the REST API `api` (API Gateway), one method per route of the function's Powertools resolver.

    Agents call it with a Cognito user pool token (routes as declared); service callers sign with IAM
    (SigV4) and call the same routes under `service_prefix`. `resolver` is the dotted path of the
    APIGatewayRestResolver, whose OpenAPI document lists the routes (CDK builds the API from it).
    """

    api: str
    resolver: str
    service_prefix: str = "/service"
    throttle_rate_per_second: int = 50
    throttle_burst: int = 100


class DynamoDBStreamSource(msgspec.Struct, frozen=True):
    """Consumes the stream of a table of functions.tables.TABLES (its model's Meta.stream_view_type).

    Batches report partial failures; a failing batch is split and retried up to `max_retries` times, then
    its records go to the function's stream dead-letter queue (an on-failure destination), never dropped
    silently.
    """

    table: str
    batch_size: int = 25
    max_retries: int = 5
    max_record_age_seconds: int = 6 * 3600  # below the stream's 24 h retention: give up (to the DLQ) before loss
    starting_position: str = "TRIM_HORIZON"


class RateSource(msgspec.Struct, frozen=True):
    """Invoked every `minutes` minutes by an EventBridge rule, asynchronously, without retries and dropped when
    older than a minute: a failed or late run is replaced by the next one (the errors alarm says it failed).

    The timeout stays below the rate, so runs do not pile up; a run delayed in Lambda's event queue can still
    overlap the next, hence two instances at most for pacing (`maximum_concurrency`)."""

    minutes: int = 1
    maximum_concurrency: int = 2


class PublicApiSource(msgspec.Struct, frozen=True):
    """Invoked by one public route (`method` `path`) of its own small REST API, with no sign-in: the request
    carries its own proof where it needs one (the chat start: the site's signed claim). The stage throttles
    requests at `throttle_rate_per_second` (set it at the function's Connect share, so the API itself never lets
    more through than the quota allows); each instance also paces its Connect calls at its share over
    `maximum_concurrency` (functions/common/pacing.py). No reserved concurrency (a new account may have no room
    for one): the stage throttle is the bound. A WAF web ACL on the stage (infra/constructs/chat.py)."""

    path: str
    method: str = "POST"
    maximum_concurrency: int = 2
    throttle_rate_per_second: int = 4
    throttle_burst: int = 4


class KinesisSource(msgspec.Struct, frozen=True):
    """Consumes a Kinesis data stream the stack creates (`stream`: "contact-records", Connect's CTR stream in the
    contact lake; "contact-lens-segments", the Contact Lens real-time segment stream), in order per partition key
    (Connect's is the contact id). Batches report partial failures; a failing batch is bisected and retried up to
    `max_retries` times, then its records go to the function's on-failure dead-letter queue, never dropped
    silently."""

    stream: str
    batch_size: int = 100
    max_retries: int = 5
    max_record_age_seconds: int = 3600
    starting_position: str = "LATEST"
    parallelization_factor: int = 1  # batches per shard at once; Lambda keeps each partition key (contact) in order


EventSource = (ConnectFlowSource | SqsSource | ScheduleSource | ApiSource | DynamoDBStreamSource | RateSource
               | PublicApiSource | KinesisSource)


class QueueSpec(msgspec.Struct, frozen=True):
    """An encrypted SQS queue with its own dead-letter queue (after max_receive_count deliveries)."""

    name: str
    description: str
    env_var: str  # carries the queue URL to functions that send to it
    visibility_timeout_seconds: int  # at least 6x the consumer's timeout (checked below and at synth)
    # Deliveries before the dead-letter queue. AWS advises at least 5 for a Lambda-consumed queue: a throttled
    # function's poller returns messages unprocessed, and each such receive counts.
    max_receive_count: int = 5


class ApiQuota(msgspec.Struct, frozen=True):
    """An API's request quota per account and Region: steady requests per second and burst."""

    rate_per_second: float
    burst: int


#: Amazon Connect's defaults (Connect service quotas page; each API has its own bucket, per account and
#: Region, shared by every instance and every caller there). After AWS raises a quota, write the new
#: figure here and raise the functions' shares below: docs/capacity.md says what to request.
CONNECT_API_QUOTAS: dict[str, ApiQuota] = {
    "GetContactAttributes": ApiQuota(rate_per_second=2, burst=5),
    "StartOutboundVoiceContact": ApiQuota(rate_per_second=2, burst=5),
    # The metric APIs have their own quota, shared with the supervisors' real-time and historical reports.
    "GetCurrentMetricData": ApiQuota(rate_per_second=5, burst=8),
    "GetMetricDataV2": ApiQuota(rate_per_second=5, burst=8),
    "StartChatContact": ApiQuota(rate_per_second=5, burst=8),
    # Tickets as tasks (ticket-tasks): the service API default; docs/capacity.md sizes them.
    "StartTaskContact": ApiQuota(rate_per_second=2, burst=5),
    "StopContact": ApiQuota(rate_per_second=2, burst=5),
    # SMS conversations (sms-inbound): chat message streaming to our topic; Service Quotas L-93412F17.
    "StartContactStreaming": ApiQuota(rate_per_second=5, burst=8),
}

#: The Amazon Connect Participant Service's defaults (its own quotas, per account and Region; authorized by
#: participant and connection tokens, not IAM). docs/capacity.md says where the figures come from.
PARTICIPANT_API_QUOTAS: dict[str, ApiQuota] = {
    "CreateParticipantConnection": ApiQuota(rate_per_second=6, burst=9),
    "SendMessage": ApiQuota(rate_per_second=10, burst=15),
}


class EventRuleSpec(msgspec.Struct, frozen=True):
    """An EventBridge rule feeding a queue: on the default bus (where Amazon Connect publishes), or on our
    own bus (`bus="domain"`, EVENT_BUS) for domain events such as TicketStatusChanged."""

    name: str
    description: str
    event_pattern: dict[str, Any]
    target_queue: str
    bus: str = "default"  # "default" | "domain"


class EventBusSpec(msgspec.Struct, frozen=True):
    """The custom bus our functions publish domain events on (e.g. SurveyLowScore)."""

    name: str
    env_var: str
    source: str  # the `source` of every event we publish


class FunctionSpec(msgspec.Struct, frozen=True):
    name: str
    handler: str  # dotted path, "package.module.function"
    description: str
    source: EventSource
    timeout_seconds: int
    memory_mb: int
    tables_read: tuple[str, ...] = ()  # logical names from functions.tables.TABLES
    tables_written: tuple[str, ...] = ()
    queues_sent: tuple[str, ...] = ()  # QUEUES this function sends to (env var: QueueSpec.env_var)
    publishes_events: bool = False  # PutEvents on EVENT_BUS (env var: EVENT_BUS.env_var)
    connect_actions: tuple[str, ...] = ()  # Amazon Connect API actions on the instance, e.g. "GetContactAttributes"
    # This function's share of each Connect action's quota (requests/s, all its instances together); every
    # instance paces itself at share / maximum_concurrency (functions/common/pacing.py).
    connect_rates: dict[str, float] = field(default_factory=dict)
    connect_max_wait_seconds: float = 5.0  # longer than this for a token: the message is deferred instead
    # This function's share of each Participant Service API's quota (PARTICIPANT_API_QUOTAS), paced the same way;
    # no IAM permission goes with it (the participant's tokens authorize those calls).
    participant_rates: dict[str, float] = field(default_factory=dict)
    sends_sms: bool = False  # AWS End User Messaging SMS (sms-voice:SendTextMessage)
    sends_email: bool = False  # Amazon SES v2 SendEmail from the configured identity only
    # Environment variables whose values the deployment supplies: name -> what it carries.
    wired_environment: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    def load_handler(self) -> Callable[[dict[str, Any], Any], Any]:
        module, _, attribute = self.handler.rpartition(".")
        return getattr(importlib.import_module(module), attribute)


#: StartOutboundVoiceContact per second for outreach: the sender's share, and the pace the planner spreads
#: the day's contacts at (so the queue never holds more than the sender may place).
OUTREACH_CALLS_PER_SECOND = 1.0


def _powertools(service: str) -> dict[str, str]:
    return {"POWERTOOLS_SERVICE_NAME": service, "POWERTOOLS_METRICS_NAMESPACE": "CallCenter"}


EVENT_BUS = EventBusSpec(name="callcenter", env_var="EVENT_BUS_NAME", source="callcenter")

QUEUES: dict[str, QueueSpec] = {
    spec.name: spec
    for spec in (
        QueueSpec(
            name="outreach-requests",
            description="One message per customer due for a proactive contact (and contacts delayed by quiet hours)",
            env_var="OUTREACH_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="ticket-notifications",
            description="TicketStatusChanged events to tell the customer (and messages held by quiet hours)",
            env_var="TICKET_NOTIFICATIONS_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="survey-followups",
            description="SurveyLowScore events waiting to become follow-up tickets",
            env_var="SURVEY_FOLLOWUPS_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="ticket-tasks",
            description="Ticket changes that start or complete an Amazon Connect task, and ended task contacts",
            env_var="TICKET_TASKS_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="sms-inbound",
            description="SMS texted to the center's number (End User Messaging two-way SMS, through its SNS topic)",
            env_var="SMS_INBOUND_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="sms-chat-stream",
            description="Messages and events of SMS conversations' chats, streamed by Amazon Connect to our topic",
            env_var="SMS_CHAT_STREAM_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
        QueueSpec(
            name="sentiment-rule-matches",
            description="Contact Lens real-time rule matches (EventBridge), for live hints and supervisor alerts",
            env_var="SENTIMENT_RULE_MATCHES_QUEUE_URL",
            visibility_timeout_seconds=120,
        ),
        QueueSpec(
            name="survey-requests",
            description="Disconnected contacts waiting for the survey dispatcher (and surveys delayed by quiet hours)",
            env_var="SURVEY_REQUESTS_QUEUE_URL",
            visibility_timeout_seconds=180,
        ),
    )
}

EVENT_RULES: dict[str, EventRuleSpec] = {
    spec.name: spec
    for spec in (
        EventRuleSpec(
            name="contact-disconnected",
            description="Amazon Connect contact events of ended contacts, for post-call surveys",
            event_pattern={
                "source": ["aws.connect"],
                "detail-type": ["Amazon Connect Contact Event"],
                "detail": {"eventType": ["DISCONNECTED"]},
            },
            target_queue="survey-requests",
        ),
        EventRuleSpec(
            name="contact-lens-rules-matched",
            description="Contact Lens real-time rules of our instance that matched a live contact",
            event_pattern={"source": ["aws.connect"], "detail-type": ["Contact Lens Realtime Rules Matched"]},
            target_queue="sentiment-rule-matches",
        ),
        EventRuleSpec(
            name="ticket-status-changed",
            description="Ticket status changes published by ticket-events, for the customer's progress updates",
            event_pattern={"source": [EVENT_BUS.source], "detail-type": ["TicketStatusChanged"]},
            target_queue="ticket-notifications",
            bus="domain",
        ),
        EventRuleSpec(
            name="survey-low-score",
            description="Low survey scores and unresolved problems published by survey-answers, to open tickets",
            event_pattern={"source": [EVENT_BUS.source], "detail-type": ["SurveyLowScore"]},
            target_queue="survey-followups",
            bus="domain",
        ),
        EventRuleSpec(
            name="ticket-escalated",
            description="Escalations (published by ticket-events), each a task in the new team's queue",
            event_pattern={"source": [EVENT_BUS.source], "detail-type": ["TicketEscalated"]},
            target_queue="ticket-tasks",
            bus="domain",
        ),
        EventRuleSpec(
            name="ticket-task-changes",
            description="Ticket changes that start a task (a follow-up opened) or complete one (resolved, closed), "
                        "for ticket-tasks",
            event_pattern={"source": [EVENT_BUS.source], "detail-type": ["TicketStatusChanged"],
                           "detail": {"data": {"to_status": ["resolved", "closed", "open"]}}},
            target_queue="ticket-tasks",
            bus="domain",
        ),
        EventRuleSpec(
            name="task-disconnected",
            description="Amazon Connect task contacts that ended (an agent completed one), for ticket-tasks",
            event_pattern={
                "source": ["aws.connect"],
                "detail-type": ["Amazon Connect Contact Event"],
                "detail": {"eventType": ["DISCONNECTED"], "channel": ["TASK"]},
            },
            target_queue="ticket-tasks",
        ),
    )
}

FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec(
            name="routing",
            handler="functions.routing.handler.lambda_handler",
            description="Recognises the caller and decides queue, priority and reason for the inbound flow",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,
            tables_read=("profiles",),
            wired_environment={
                "QUEUE_ARNS": "JSON object: queue name (policy.json) -> queue ARN",
                "LINE_NUMBERS": "JSON object: policy line name -> its numbers (E.164), replacing policy.json's",
                "CHAT_IDENTITY_SECRET_ARN": "the secret a signed chat's claim is checked with (read only for those)",
            },
            environment={
                **_powertools("routing"),
                "DEFAULT_PHONE_REGION": "US",
                "DDB_CONNECT_TIMEOUT_SECONDS": "0.3",
                "DDB_READ_TIMEOUT_SECONDS": "0.5",
                "DDB_MAX_ATTEMPTS": "2",
            },
        ),
        FunctionSpec(
            name="survey-dispatcher",
            handler="functions.surveys.dispatcher_handler.lambda_handler",
            description="Decides whether an ended contact gets a satisfaction survey and sends at most one",
            # Batches of 5: at the paces below a batch waits at most 5 x 1 s + 5 x 2 s for Connect, well inside 30 s.
            source=SqsSource(queue="survey-requests", batch_size=5, maximum_concurrency=2),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("profiles", "surveys"),
            tables_written=("surveys",),
            queues_sent=("survey-requests",),
            connect_actions=("GetContactAttributes", "StartOutboundVoiceContact"),
            connect_rates={"GetContactAttributes": 2.0, "StartOutboundVoiceContact": 1.0},
            sends_sms=True,
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "SURVEY_FLOW_ID": "contact flow id of the survey flow (outbound voice surveys)",
                "SURVEY_QUEUE_ARN": "queue whose outbound caller id places the survey calls",
                "SMS_ORIGINATION_IDENTITY": "End User Messaging phone number/pool for SMS surveys ('' disables SMS)",
            },
            environment=_powertools("survey-dispatcher"),
        ),
        FunctionSpec(
            name="survey-answers",
            handler="functions.surveys.answers_handler.lambda_handler",
            description="Stores a survey's answers from the survey flow; low scores open a follow-up",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,
            tables_read=("surveys",),
            tables_written=("surveys", "followups"),
            publishes_events=True,
            environment=_powertools("survey-answers"),
        ),
        FunctionSpec(
            name="outreach-planner",
            handler="functions.outreach.planner_handler.lambda_handler",
            description="Finds the customers due for a campaign (sparse expiry index) and queues one contact each",
            source=ScheduleSource(),
            timeout_seconds=120,
            memory_mb=512,
            tables_read=("profiles", "outreach", "outreach_caps"),
            tables_written=("outreach",),
            queues_sent=("outreach-requests",),
            environment={**_powertools("outreach-planner"),
                         "OUTREACH_SENDS_PER_SECOND": f"{OUTREACH_CALLS_PER_SECOND:g}"},
        ),
        FunctionSpec(
            name="outreach-sender",
            handler="functions.outreach.sender_handler.lambda_handler",
            description="Places each due proactive contact by the customer's channel, at a decent hour, within the cap",
            source=SqsSource(queue="outreach-requests", batch_size=5, maximum_concurrency=2),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("profiles", "outreach", "outreach_caps"),
            tables_written=("outreach", "outreach_caps"),
            queues_sent=("outreach-requests",),
            connect_actions=("StartOutboundVoiceContact",),
            connect_rates={"StartOutboundVoiceContact": OUTREACH_CALLS_PER_SECOND},
            sends_sms=True,
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "OUTREACH_FLOW_ID": "contact flow id of the outreach flow",
                "OUTREACH_CALLER_QUEUE_ARN": "queue whose outbound caller id places the outreach calls",
                "SMS_ORIGINATION_IDENTITY": "End User Messaging phone number/pool for SMS ('' disables SMS)",
            },
            environment=_powertools("outreach-sender"),
        ),
        FunctionSpec(
            name="outreach-response",
            handler="functions.outreach.response_handler.lambda_handler",
            description="Records a customer's answer in the outreach flow: remind me later, or stop these calls",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,
            tables_read=("profiles", "outreach"),
            tables_written=("profiles", "outreach"),
            environment=_powertools("outreach-response"),
        ),
        FunctionSpec(
            name="ticket-api",
            handler="functions.tickets.api_handler.lambda_handler",
            description="The agents' ticket API: create, read, list, change status, assign, escalate, add notes; "
                        "a contact's live hints",
            source=ApiSource(api="tickets", resolver="functions.tickets.api.app"),
            timeout_seconds=10,
            memory_mb=512,
            tables_read=("tickets", "profiles", "insights"),  # insights: the live hints an agent's desktop polls
            tables_written=("tickets", "profiles"),  # profiles: only the open_tickets screen-pop entry
            wired_environment={"DESKTOP_ORIGIN": "the agent desktop's origin, the only one CORS allows ('' locally, "
                                                 "where the page and the API share an origin)"},
            environment={**_powertools("ticket-api"), "DDB_MAX_ATTEMPTS": "3"},
        ),
        FunctionSpec(
            name="ticket-events",
            handler="functions.tickets.events_handler.lambda_handler",
            description="Publishes a TicketStatusChanged event for every status change stored in the tickets table",
            source=DynamoDBStreamSource(table="tickets"),
            timeout_seconds=30,
            memory_mb=256,
            publishes_events=True,
            environment=_powertools("ticket-events"),
        ),
        FunctionSpec(
            name="ticket-notifier",
            handler="functions.tickets.notifier_handler.lambda_handler",
            description="Tells the customer about a ticket status change, once, by their allowed channel, not at night",
            source=SqsSource(queue="ticket-notifications", batch_size=10),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("profiles", "ticket_notifications", "tickets"),  # the change is checked against its ticket
            tables_written=("ticket_notifications",),
            queues_sent=("ticket-notifications",),
            sends_sms=True,
            sends_email=True,
            wired_environment={
                "SMS_ORIGINATION_IDENTITY": "End User Messaging phone number/pool for SMS ('' disables SMS)",
                "EMAIL_FROM_IDENTITY": "SES identity progress updates are sent from ('' disables email)",
            },
            environment=_powertools("ticket-notifier"),
        ),
        FunctionSpec(
            name="survey-followup-tickets",
            handler="functions.tickets.followups_handler.lambda_handler",
            description="Opens one follow-up ticket per low survey score, with the team that took the call",
            source=SqsSource(queue="survey-followups", batch_size=10),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("tickets", "profiles", "insights"),  # insights: the live hints an agent's desktop polls
            tables_written=("tickets", "profiles"),  # profiles: only the open_tickets screen-pop entry
            wired_environment={"QUEUE_ARNS": "JSON object: queue name (policy.json) -> queue ARN"},
            environment=_powertools("survey-followup-tickets"),
        ),
        FunctionSpec(
            name="ticket-tasks",
            handler="functions.tickets.tasks_handler.lambda_handler",
            description="Keeps tickets and Amazon Connect tasks in step: a task per escalation or follow-up, "
                        "completed with its ticket, and the ticket resolved when an agent completes its task",
            # Batches of 5: at 0.5/s per instance a batch waits at most 5 x 2 s for its tokens, inside 30 s.
            source=SqsSource(queue="ticket-tasks", batch_size=5, maximum_concurrency=2),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("tickets", "ticket_tasks", "profiles"),
            tables_written=("tickets", "ticket_tasks", "profiles"),  # profiles: only the open_tickets entry
            queues_sent=("ticket-tasks",),
            connect_actions=("StartTaskContact", "StopContact"),
            connect_rates={"StartTaskContact": 1.0, "StopContact": 1.0},
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "TASK_TEMPLATE_ID": "the task template tickets become tasks with (its flow queues them by team)",
                "QUEUE_ARNS": "JSON object: queue name (policy.json) -> queue ARN",
                "DESKTOP_ORIGIN": "the agent desktop's origin: the task's link back to its ticket",
            },
            environment=_powertools("ticket-tasks"),
        ),
        FunctionSpec(
            name="sms-inbound",
            handler="functions.sms.handler.lambda_handler",
            description="An SMS to the center's number: STOP opts out, a survey reply is recorded once, anything "
                        "else goes into the sender's open SMS conversation or becomes an SMS contact routed like a "
                        "chat",
            # Batches of 5: a new conversation takes a token of each of four APIs at 0.5/s per instance, so a batch
            # waits at most 5 x 2 s + a few seconds for its tokens, inside 30 s (longer waits are deferred).
            source=SqsSource(queue="sms-inbound", batch_size=5, maximum_concurrency=2),
            timeout_seconds=30,
            memory_mb=512,
            tables_read=("profiles", "surveys", "sms_conversations"),
            tables_written=("profiles", "surveys", "followups", "sms_conversations"),  # profiles: only the opt-out
            queues_sent=("sms-inbound",),
            publishes_events=True,  # SurveyLowScore, as the survey flow's answers do
            connect_actions=("StartChatContact", "StartContactStreaming"),
            connect_rates={"StartChatContact": 1.0, "StartContactStreaming": 1.0},
            participant_rates={"CreateParticipantConnection": 1.0, "SendMessage": 1.0},
            sends_sms=True,
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "SMS_FLOW_ID": "contact flow id of the SMS flow (an SMS contact for an agent)",
                "SMS_ORIGINATION_IDENTITY": "End User Messaging phone number/pool replies are texted from",
                "CHAT_STREAM_TOPIC_ARN": "the SNS topic SMS conversations' chats are streamed to",
            },
            environment=_powertools("sms-inbound"),
        ),
        FunctionSpec(
            name="sms-chat-replies",
            handler="functions.sms.replies_handler.lambda_handler",
            description="Texts an agent's chat replies in SMS conversations to the customer, once each; the chat's "
                        "end closes the conversation",
            source=SqsSource(queue="sms-chat-stream", batch_size=10),
            timeout_seconds=30,
            memory_mb=256,
            tables_read=("sms_conversations",),
            tables_written=("sms_conversations",),
            sends_sms=True,
            wired_environment={
                "SMS_ORIGINATION_IDENTITY": "End User Messaging phone number/pool replies are texted from",
            },
            environment=_powertools("sms-chat-replies"),
        ),
        FunctionSpec(
            name="caller-verification",
            handler="functions.profiles.verification_handler.lambda_handler",
            description="Checks the PIN a caller typed before the IVR says anything about the customer",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,  # scrypt needs 16 MiB and CPU: more memory, more CPU, a faster check
            tables_read=("profiles",),
            tables_written=("profiles",),  # profiles: only the PIN attempt counter and lock
            environment={
                **_powertools("caller-verification"),
                "DDB_CONNECT_TIMEOUT_SECONDS": "0.3",
                "DDB_READ_TIMEOUT_SECONDS": "0.5",
                "DDB_MAX_ATTEMPTS": "2",
            },
        ),
        FunctionSpec(
            name="queue-metrics",
            handler="functions.metrics.handler.lambda_handler",
            description="Publishes each queue's live figures and 15-minute service level from Amazon Connect",
            source=RateSource(minutes=1),
            timeout_seconds=30,
            memory_mb=256,
            connect_actions=("GetCurrentMetricData", "GetMetricDataV2"),
            # A few requests a minute; a share well under the quota leaves the rest to the supervisors' reports.
            connect_rates={"GetCurrentMetricData": 1.0, "GetMetricDataV2": 1.0},
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "QUEUE_ARNS": "JSON object: queue name (policy.json) -> queue ARN",
            },
            environment=_powertools("queue-metrics"),
        ),
        FunctionSpec(
            name="ticket-self-service",
            handler="functions.tickets.self_service_handler.lambda_handler",
            description="IVR self-service: reads the caller's latest ticket, confirms or reopens a resolved one",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=512,
            tables_read=("tickets", "profiles"),
            tables_written=("tickets", "profiles"),
            environment={
                **_powertools("ticket-self-service"),
                "DDB_CONNECT_TIMEOUT_SECONDS": "0.3",
                "DDB_READ_TIMEOUT_SECONDS": "0.5",
                "DDB_MAX_ATTEMPTS": "2",
            },
        ),
        FunctionSpec(
            name="chat-start",
            handler="functions.chat.start_handler.lambda_handler",
            description="POST /chat/start: checks the site's signed claim and starts a chat (StartChatContact)",
            # The stage lets 4 starts a second through: the function's share of StartChatContact's quota.
            source=PublicApiSource(path="/chat/start", maximum_concurrency=2, throttle_rate_per_second=4,
                                   throttle_burst=4),
            timeout_seconds=8,
            memory_mb=256,
            connect_actions=("StartChatContact",),
            connect_rates={"StartChatContact": 4.0},  # most of the quota; sms-inbound takes the other 1/s
            connect_max_wait_seconds=1.0,  # the browser waits: past a second, answer 429 with when to retry
            wired_environment={
                "CONNECT_INSTANCE_ID": "the Amazon Connect instance id",
                "CHAT_FLOW_ID": "the chat flow's id",
                "CHAT_IDENTITY_SECRET_ARN": "the Secrets Manager secret the site's backend signs claims with",
                "CHAT_SITE_ORIGIN": "the origins whose pages start chats (CORS), comma-separated: the desktop's "
                                    "(chat.html) and the chat_site_origin context's",
            },
            environment=_powertools("chat-start"),
        ),
        FunctionSpec(
            name="contact-history",
            handler="functions.continuity.handler.lambda_handler",
            description="Adds each contact record to its customer's recent contacts (the screen pop), off the call "
                        "path",
            # From the oldest record kept (a deploy or an outage loses no history), within 6 h of the stream's 24 h.
            source=KinesisSource(stream="contact-records", max_record_age_seconds=6 * 3600,
                                 starting_position="TRIM_HORIZON"),
            timeout_seconds=60,
            memory_mb=256,
            tables_read=("profiles",),
            tables_written=("profiles",),  # profiles: only the recent_contacts list
            environment=_powertools("contact-history"),
        ),
        FunctionSpec(
            name="sentiment-segments",
            handler="functions.sentiment.stream_handler.lambda_handler",
            description="Live sentiment: Contact Lens segments to agent hints and supervisor alerts, once per rule",
            # 10 batches per shard at once (per contact still in order): docs/capacity.md, "Live sentiment".
            # A hint an hour late helps nobody (max record age 1 h); the DLQ keeps what was given up.
            source=KinesisSource(stream="contact-lens-segments", parallelization_factor=10),
            timeout_seconds=20,
            memory_mb=512,
            tables_read=("insights",),
            tables_written=("insights",),
            wired_environment={"SUPERVISOR_ALERTS_TOPIC_ARN": "SNS topic of the supervisors' live alerts"},
            environment={**_powertools("sentiment-segments"), "DEFAULT_TEAM": "general"},
        ),
        FunctionSpec(
            name="sentiment-rule-matches",
            handler="functions.sentiment.rule_match_handler.lambda_handler",
            description="Live sentiment: Contact Lens rule matches to agent hints and supervisor alerts, once per rule",
            source=SqsSource(queue="sentiment-rule-matches", batch_size=10),
            timeout_seconds=20,
            memory_mb=512,
            tables_read=("insights",),
            tables_written=("insights",),
            wired_environment={"SUPERVISOR_ALERTS_TOPIC_ARN": "SNS topic of the supervisors' live alerts"},
            environment={**_powertools("sentiment-rule-matches"), "DEFAULT_TEAM": "general"},
        ),
        FunctionSpec(
            name="sentiment-context",
            handler="functions.sentiment.context_handler.lambda_handler",
            description="Records a routed contact's tier, complaints and queue for live sentiment (invoked async)",
            source=ConnectFlowSource(),
            timeout_seconds=4,
            memory_mb=256,
            tables_written=("insights",),
            environment=_powertools("sentiment-context"),
        ),
    )
}


def kinesis_consumers_of(stream: str) -> list[FunctionSpec]:
    return [f for f in FUNCTIONS.values() if isinstance(f.source, KinesisSource) and f.source.stream == stream]


def stream_consumers_of(table: str) -> list[FunctionSpec]:
    return [f for f in FUNCTIONS.values() if isinstance(f.source, DynamoDBStreamSource) and f.source.table == table]


def consumers_of(queue: str) -> list[FunctionSpec]:
    return [f for f in FUNCTIONS.values() if isinstance(f.source, SqsSource) and f.source.queue == queue]


def claim_lease(function: str) -> timedelta:
    """How long a claim written by the SQS consumer `function` stays held: twice its Lambda timeout (the claimer
    is gone by then). Why not the visibility timeout: functions/common/claims.py."""
    return timedelta(seconds=2 * FUNCTIONS[function].timeout_seconds)


def check_manifest() -> list[str]:
    """Cross-references that must hold; the CDK app and the tests fail on any problem listed."""
    from functions.common.pacing import connect_budget_problems  # imports nothing from here at import time

    problems = connect_budget_problems()
    for rule in EVENT_RULES.values():
        if rule.bus not in ("default", "domain"):
            problems.append(f"rule {rule.name!r} is on unknown bus {rule.bus!r}")
        if rule.target_queue not in QUEUES:
            problems.append(f"rule {rule.name!r} targets unknown queue {rule.target_queue!r}")
    for spec in FUNCTIONS.values():
        for queue in spec.queues_sent:
            if queue not in QUEUES:
                problems.append(f"function {spec.name!r} sends to unknown queue {queue!r}")
        if isinstance(spec.source, DynamoDBStreamSource):
            from functions.tables import TABLES  # the catalog imports nothing from here; no cycle

            table = TABLES.get(spec.source.table)
            if table is None:
                problems.append(f"function {spec.name!r} consumes the stream of unknown table {spec.source.table!r}")
            elif not getattr(table.model.Meta, "stream_view_type", None):
                problems.append(f"function {spec.name!r}: table {spec.source.table!r} has no stream_view_type")
            if not 60 <= spec.source.max_record_age_seconds < 24 * 3600:
                problems.append(f"function {spec.name!r}: max_record_age_seconds must be 60 s to under 24 h")
        kinesis = spec.source if isinstance(spec.source, KinesisSource) else None
        if kinesis and not (60 <= kinesis.max_record_age_seconds <= 24 * 3600
                            and 1 <= kinesis.parallelization_factor <= 10):
            problems.append(f"function {spec.name!r}: max_record_age_seconds 60 s to 24 h, parallelization 1 to 10")
        if isinstance(spec.source, RateSource) and spec.timeout_seconds >= 60 * spec.source.minutes:
            problems.append(f"function {spec.name!r}: its timeout must be below its rate, or runs pile up")
        if isinstance(spec.source, ApiSource) and spec.timeout_seconds >= 29:
            problems.append(f"function {spec.name!r}: API Gateway waits 29 s at most; its timeout must be below")
        if isinstance(spec.source, SqsSource):
            queue_spec = QUEUES.get(spec.source.queue)
            if queue_spec is None:
                problems.append(f"function {spec.name!r} consumes unknown queue {spec.source.queue!r}")
            elif queue_spec.visibility_timeout_seconds < 6 * spec.timeout_seconds:
                problems.append(
                    f"queue {queue_spec.name!r} visibility timeout must be at least 6x the timeout of {spec.name!r}")
            lease = claim_lease(spec.name).total_seconds()
            if queue_spec.visibility_timeout_seconds < (
                    lease + spec.timeout_seconds + spec.source.max_batching_window_seconds):
                problems.append(
                    f"queue {queue_spec.name!r}: a redelivery must find a crashed claim of {spec.name!r} stale; the "
                    "visibility timeout must be at least its claim lease + timeout + batching window")
    return problems
