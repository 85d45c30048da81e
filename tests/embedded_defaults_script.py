"""Run by tests/test_embedded_defaults.py in a fresh process with nothing configured: migrate,
load the bank, run an interview through the room's socket, finish it, compile its report, and
print the report's status as JSON."""

import asyncio
import base64
import json

import django


def cookie(user) -> bytes:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def drive(interview, ines, carl) -> None:
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    async def socket(user):
        headers = [(b"cookie", await sync_to_async(cookie)(user))]
        communicator = WebsocketCommunicator(
            application, f"/ws/interviews/{interview.pk}/", headers=headers
        )
        assert (await communicator.connect())[0]
        # The first snapshot loads the room (several queries): on a busy machine that takes
        # more than receive_json_from's default second.
        assert (await communicator.receive_json_from(timeout=10))["type"] == "snapshot"
        return communicator

    async def next_of(communicator, kind: str) -> dict:
        while True:
            message = await communicator.receive_json_from(timeout=5)
            if message["type"] == kind:
                return message

    counter = iter(range(1000))

    async def send(communicator, kind: str, **payload) -> str:
        message_id = f"m{next(counter)}"
        await communicator.send_json_to({"type": kind, "id": message_id, "payload": payload})
        return message_id

    from pycrdt import Doc, Text

    typed, updates = Doc(), []
    typed["notes:clarify"] = notes = Text()
    typed.observe(lambda event: updates.append(base64.b64encode(event.update).decode()))

    interviewer, candidate = await socket(ines), await socket(carl)
    await send(interviewer, "interview.start")
    await next_of(candidate, "state")
    mirror = Doc()
    for piece in ("goals", ", users"):
        notes += piece
        await send(candidate, "doc.update", doc="notes", update=updates[-1])
        relayed = await next_of(interviewer, "doc.update")
        mirror.apply_update(base64.b64decode(relayed["payload"]["update"]))
    assert str(mirror.get("notes:clarify", type=Text)) == "goals, users"
    await next_of(candidate, "ack")
    await send(interviewer, "score.record", criterion="clarify-goals", level=3, evidence="asked")
    await next_of(interviewer, "score.recorded")
    await send(interviewer, "interview.end")
    await next_of(candidate, "ended")
    await interviewer.disconnect()
    await candidate.disconnect()
    from interviews.registry import Registry

    await Registry.current().stop()


def main() -> None:
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from casestudies.models import CaseStudy
    from feedback import services as feedback_services
    from interviews import services
    from interviews.models import Report
    from rubrics.models import Criterion

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert not settings.REDIS_URL  # the room's bus is in process
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    call_command("seed_demo", verbosity=0)

    users = get_user_model().objects
    ines = users.get(email="interviewer@example.com")
    carl = users.get(email="candidate@example.com")
    interview = services.interview_create(
        user=ines,
        case_study=CaseStudy.objects.get(slug="visual-search"),
        role="interviewer",
        target_level="senior",
    )
    services.invite_accept(user=carl, token=interview.invite.token)
    asyncio.run(drive(interview, ines, carl))

    keys = list(Criterion.objects.filter(rubric=interview.rubric).values_list("key", flat=True))
    feedback_services.assessment_submit(
        actor=services.Actor(carl, interview.pk, "candidate", False),
        levels=dict.fromkeys(keys, 3),
        notes={},
        reflection="I ran out of time.",
    )
    feedback_services.scorecard_finalise(
        actor=services.Actor(ines, interview.pk, "interviewer", False),
        levels=dict.fromkeys(keys, 2),
        evidence=dict.fromkeys(keys, "Seen in the session."),
        strengths="Clear goals.",
        improvements="More depth on serving.",
    )
    report = Report.objects.get(interview=interview)
    print(json.dumps({"status": report.status, "failure": report.failure_reason}))


if __name__ == "__main__":
    main()
