from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile"),
    path("interviews/new/", views.interview_new, name="interview_new"),
    path("drills/new/", views.drill_new, name="drill_new"),
    path("join/<str:token>/", views.invite_join, name="join"),
    path("interviews/<uuid:interview_id>/", views.room, name="room"),
    path("interviews/<uuid:interview_id>/invite/", views.invite_renew, name="invite_renew"),
    path("interviews/<uuid:interview_id>/abandon/", views.interview_abandon, name="abandon"),
    path("interviews/<uuid:interview_id>/wrap-up/", views.wrapup, name="wrapup"),
    path(
        "interviews/<uuid:interview_id>/wrap-up/reveal/<slug:step_key>/",
        views.wrapup_reveal,
        name="wrapup_reveal",
    ),
    path("interviews/<uuid:interview_id>/report/", views.report, name="report"),
    path("interviews/<uuid:interview_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("interviews/<uuid:interview_id>/report.md", views.report_md, name="report_md"),
    path("interviews/<uuid:interview_id>/report/retry/", views.report_retry, name="report_retry"),
    path("interviews/<uuid:interview_id>/timeline/", views.session_timeline, name="timeline"),
    path("progress/", views.progress, name="progress"),
    path("curation/usage/", views.case_usage, name="case_usage"),
]
