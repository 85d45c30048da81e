"""Background work: compiling feedback reports, and the periodic sweep.

Tasks take ids, re-fetch and call one service; the services are idempotent (a compare-and-set
claim on the report's status), which is what makes ``acks_late`` safe: a message redelivered
after a worker died, or delivered twice, still gives one report. Retries live here, outcomes
(the report's status and failure reason) in ``services.report_compile``.
"""

import logging

from celery import shared_task

import config.celery  # noqa: F401  (the app these tasks bind to; see config/__init__.py)

from . import services

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def compile_report(self, report_id: int) -> str:
    outcome = services.report_compile(report_id=report_id)
    if outcome.status == "busy":
        # Another delivery holds a fresh claim. Come back when it would count as stale: if
        # that worker finished, the report is ready and this is a no-op; if it died, we take
        # over. Without this a message redelivered after a crash would give up too early.
        raise self.retry(countdown=outcome.retry_in)
    log.info("report %s: %s", report_id, outcome.status)
    return outcome.status


@shared_task(acks_late=True)
def sweep_reports() -> dict:
    result = services.reports_sweep()
    return {"completed": [str(pk) for pk in result.completed], "requeued": result.requeued}


@shared_task(acks_late=True)
def requeue_reports() -> list[int]:
    """Every REPORT_REQUEUE_SECONDS: pending reports whose hand-over to the workers failed
    (Redis was down) are sent again, so a report waits for Redis, not for the sweep."""
    return services.reports_requeue()
