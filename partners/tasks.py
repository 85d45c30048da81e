"""Background work for finding a partner: the matcher, reminders and their e-mails, no-show
marking and the expiry of unconfirmed matches. The beat runs them every
``PARTNERS_TICK_SECONDS`` (matching every ``MATCH_SWEEP_SECONDS``, and after every new or
changed request).

Tasks take ids (or nothing), call one service, and are idempotent through it: requests are
claimed by compare-and-set, a notification exists once per member, booking and kind, an
e-mail attempt is claimed before it is sent, and a booking's row is locked while it changes.
"""

import logging

from celery import shared_task

import config.celery  # noqa: F401  (the app these tasks bind to)

from . import bookings, matchmaking, services

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def match_requests() -> int:
    made = matchmaking.requests_match()
    return len(made)


@shared_task(acks_late=True)
def send_reminders() -> int:
    return services.reminders_send()


@shared_task(acks_late=True)
def mark_no_shows() -> dict:
    outcome = bookings.no_shows_mark()
    return {key: [str(pk) for pk in pks] for key, pks in outcome.items()}


@shared_task(acks_late=True)
def expire_proposals() -> int:
    return len(bookings.proposals_expire())


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=4,
)
def send_notification(self, notification_id: int) -> bool:
    sent = services.notification_email(notification_id=notification_id)
    log.info("notification %s: %s", notification_id, "sent" if sent else "nothing to send")
    return sent
