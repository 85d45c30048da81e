from django.urls import path

from . import views

urlpatterns = [
    path("interviews/<uuid:interview_id>/wrap-up/", views.wrapup, name="wrapup"),
    path("interviews/<uuid:interview_id>/wrap-up/draft/", views.wrapup_draft, name="wrapup_draft"),
    path(
        "interviews/<uuid:interview_id>/wrap-up/reveal/<slug:step_key>/",
        views.wrapup_reveal,
        name="wrapup_reveal",
    ),
    path("interviews/<uuid:interview_id>/report/", views.report, name="report"),
    path("interviews/<uuid:interview_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("interviews/<uuid:interview_id>/report.md", views.report_md, name="report_md"),
    path(
        "interviews/<uuid:interview_id>/report/board.png", views.report_board, name="report_board"
    ),
    path("interviews/<uuid:interview_id>/report/retry/", views.report_retry, name="report_retry"),
    path("interviews/<uuid:interview_id>/report/nudge/", views.report_nudge, name="report_nudge"),
    path("interviews/<uuid:interview_id>/timeline/", views.session_timeline, name="timeline"),
    path(
        "interviews/<uuid:interview_id>/timeline/replay.json",
        views.timeline_replay,
        name="timeline_replay",
    ),
    path("progress/", views.progress, name="progress"),
    path("curation/usage/", views.case_usage, name="case_usage"),
]
