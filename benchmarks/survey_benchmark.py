"""Survey benchmark: the dispatcher's time per message and DynamoDB requests per survey, by outcome.

Run with `make bench`. Prints figures; asserts nothing. Everything runs on the local backend (moto
in-process, which adds its own cost to every DynamoDB request), through the real rule, queue,
dispatcher handler, survey flow and answers handler.
"""

from __future__ import annotations

import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AT = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 12:00 New York: outside everyone's quiet hours


def _detail(contact_id: str, answered: bool) -> dict:
    from callcenter.backend import INSTANCE_ARN, queue_arn

    detail = {
        "eventType": "DISCONNECTED", "contactId": contact_id, "initialContactId": contact_id,
        "channel": "VOICE", "initiationMethod": "INBOUND", "instanceArn": INSTANCE_ARN,
        "queueInfo": {"queueArn": queue_arn("general"), "enqueueTimestamp": AT.isoformat()},
        "disconnectTimestamp": (AT + timedelta(minutes=8)).isoformat(),
    }
    if answered:
        detail["agentInfo"] = {"agentArn": f"{INSTANCE_ARN}/agent/a1",
                               "connectedToAgentTimestamp": (AT + timedelta(minutes=1)).isoformat()}
    return detail


def _phase(backend, label: str, events: list[dict]) -> None:
    from callcenter.backend import DynamoDBTraffic
    from callcenter.event_sources import deliver
    from callcenter.post_call import publish_contact_event

    for detail in events:
        publish_contact_event(detail, AT)
    DynamoDBTraffic.reset()
    first = len(backend.invocations)
    backend.now = AT + timedelta(minutes=8)
    try:
        report = deliver(backend, "survey-requests")
    finally:
        backend.now = None
    runs = [r for r in backend.invocations[first:] if r.function == "survey-dispatcher"]
    per_message_ms = sum(r.elapsed_s for r in runs) * 1000 / max(report.messages, 1)
    per_message_ddb = DynamoDBTraffic.total_calls() / max(report.messages, 1)
    requests = dict(DynamoDBTraffic.calls)
    print(f"  {label:<38}{report.messages:>6}{per_message_ms:>10.2f}{per_message_ddb:>10.2f}   {requests}")


def main() -> None:
    from callcenter.backend import DynamoDBTraffic, LocalBackend
    from callcenter.post_call import run_survey_calls, scripted
    from functions.profiles.importer import import_profile_file
    from functions.surveys.store import SurveyItem

    profiles = import_profile_file(REPO / "demo" / "profiles.csv").accepted
    eligible = [p for p in profiles if p.consent_surveys and not p.opted_out]
    ineligible = [p for p in profiles if not p.consent_surveys]
    print("Survey benchmark (local backend: moto in-process; batches of up to 10 messages)")
    print(f"  {'messages':<38}{'count':>6}{'ms/msg':>10}{'DDB/msg':>10}   requests")
    with LocalBackend(log_level="ERROR") as backend:
        backend.load_profiles(profiles)

        def contacts(prefix: str, customers: list, answered: bool = True) -> list[dict]:
            details = []
            for index, profile in enumerate(customers):
                contact_id = f"{prefix}-{index:04d}"
                backend.connect.contact_attributes[contact_id] = {"customer_id": profile.customer_id}
                details.append(_detail(contact_id, answered))
            return details

        sent = contacts("sent", eligible)
        _phase(backend, "answered call, survey sent", sent)
        _phase(backend, "the same events again (duplicates)", sent)
        _phase(backend, "answered, customer surveyed recently", contacts("again", eligible))
        _phase(backend, "answered, no survey consent", contacts("noconsent", ineligible))
        _phase(backend, "abandoned in queue", contacts("abandoned", profiles[:50], answered=False))
        statuses: dict[str, int] = {}
        for item in SurveyItem.scan():
            statuses[item.status] = statuses.get(item.status, 0) + 1
        print(f"  survey records: {statuses}; voice calls placed: {len(backend.connect.outbound_calls)}, "
              f"texts sent: {len(backend.connect.texts)}")

        DynamoDBTraffic.reset()
        first = len(backend.invocations)
        results = run_survey_calls(backend, scripted(["4", "1"]), AT + timedelta(minutes=10))
        answers = [r for r in backend.invocations[first:] if r.function == "survey-answers"]
        if answers:
            print(f"  survey calls answered: {len(results)}; answers handler "
                  f"{statistics.fmean(r.elapsed_s for r in answers) * 1000:.2f} ms per answer, "
                  f"{DynamoDBTraffic.total_calls() / len(answers):.2f} DynamoDB requests per answer")


if __name__ == "__main__":
    main()
