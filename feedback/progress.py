"""Progress across sessions: history, per-step trends, calibration over time and the weakest
steps, from the small summary each compiled report keeps (``Report.data["summary"]``)."""

from collections.abc import Sequence
from typing import Any

from interviews.models import Interview, Role
from rubrics import scoring

from . import charts
from .suggestions import lowest_without_ties

WEAKEST_TRENDS = 3  # at most this many steps are named as the weakest
RECENT = 5  # sessions the "weakest steps" average looks back over


def _history(
    interviews: Sequence[Any],
) -> tuple[list[dict[str, Any]], list[tuple[Any, dict]], set[int]]:
    """The table's rows (oldest first), the sessions with a score of the user's own as the
    candidate, with their summaries, and the cases practised."""
    history, scored = [], []
    practised: set[int] = set()
    for interview in interviews:
        summary = interview.summary or {}
        mine = interview.my_role == Role.CANDIDATE
        if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.ABANDONED):
            practised.add(interview.case_study_id)
        history.append(
            {
                "interview": interview,
                "peer": next(
                    (p.user for p in interview.participants.all() if p.role != interview.my_role),
                    None,
                ),
                "overall": summary.get("overall") if mine else None,
                "hire_signal": scoring.HIRE_LABELS.get(summary.get("hire_signal") or "", "")
                if mine
                else "",
                "report_status": interview.report_status or "",
            }
        )
        if (
            mine
            and interview.status == Interview.Status.COMPLETED
            and summary.get("overall") is not None
        ):
            scored.append((interview, summary))
    return history, scored, practised


def _session_label(interview: Any) -> str:
    when = interview.completed_at or interview.ended_at or interview.created_at
    return f"{when.day} {when:%b}"


def _step_trend(step: Any, scored: list[tuple[Any, dict]]) -> dict[str, Any]:
    """One step's score per session, its latest and recent average, and its sparkline."""
    values = [summary.get("steps", {}).get(step.key) for _i, summary in scored]
    recent = [v for v in values[-RECENT:] if v is not None]
    latest = next((v for v in reversed(values) if v is not None), None)
    return {
        "key": step.key,
        "title": step.title,
        "position": step.position,
        "values": values,
        "latest": latest,
        "average": sum(recent) / len(recent) if recent else None,
        "count": len([v for v in values if v is not None]),
        "chart": charts.sparkline(
            values,
            colour=charts.step_colour(step.position),
            title=f"{step.title}: score per session",
        ),
    }


def progress_data(interviews: Sequence[Any], *, steps: Sequence[Any]) -> dict[str, Any]:
    """History, trends, calibration and weakest steps, from interviews annotated by
    ``selectors.progress_interviews`` (oldest first) and the framework steps (``key``,
    ``title``, ``position``). Pure over its input: no queries."""
    history, scored, practised = _history(interviews)
    history.reverse()  # newest first in the table

    points = [
        charts.Point(_session_label(i), summary["overall"], hollow=i.is_solo)
        for i, summary in scored
    ]
    last = scored[-1] if scored else None
    bar_level = last[0].target_level if last else "senior"
    bar = last[1].get("bar") if last else None
    trends = [_step_trend(step, scored) for step in steps]
    weakest = lowest_without_ties(trends, "average", WEAKEST_TRENDS)
    calibrated = [
        (i, summary["calibration"])
        for i, summary in scored
        if not i.is_solo and summary.get("calibration") is not None
    ]
    deltas = [value for _i, value in calibrated]
    overall_recent = [summary["overall"] for _i, summary in scored[-RECENT:]]
    return {
        "history": history,
        "sessions": sum(1 for row in history if not row["interview"].is_solo),
        "drills": sum(1 for row in history if row["interview"].is_solo),
        "interviewed": sum(1 for row in history if row["interview"].my_role == Role.INTERVIEWER),
        "scored": len(scored),
        "recent_average": sum(overall_recent) / len(overall_recent) if overall_recent else None,
        "latest": scored[-1][1]["overall"] if scored else None,
        "practised": practised,
        "overall_chart": charts.line_chart(
            points,
            title="Overall score per session",
            bar=bar,
            bar_label=f"{scoring.LEVEL_LABELS.get(bar_level, bar_level)} bar",
        )
        if points
        else "",
        "bar_level": scoring.LEVEL_LABELS.get(bar_level, bar_level),
        "trends": trends,
        "weakest": weakest,
        "calibration_chart": charts.delta_bars(
            [charts.Point(_session_label(i), value) for i, value in calibrated],
            title="Self minus interviewer, per session",
        )
        if calibrated
        else "",
        "calibration_mean": sum(deltas) / len(deltas) if deltas else None,
        "calibration_label": f"{sum(deltas) / len(deltas):+.2f}" if deltas else "—",
        "recent_count": len(overall_recent),
        "calibration_count": len(deltas),
    }
