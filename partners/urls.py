from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.request_edit, name="request"),
    path("request/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("bookings/<uuid:booking_id>/", views.booking, name="booking"),
    path("bookings/<uuid:booking_id>/confirm/", views.booking_confirm, name="confirm"),
    path("bookings/<uuid:booking_id>/decline/", views.booking_decline, name="decline"),
    path("bookings/<uuid:booking_id>/cancel/", views.booking_cancel, name="cancel"),
    path("bookings/<uuid:booking_id>/rematch/", views.booking_rematch, name="rematch"),
    path("bookings/<uuid:booking_id>/release/", views.booking_release, name="release"),
    path("bookings/<uuid:booking_id>/block/", views.block, name="block"),
    path("bookings/<uuid:booking_id>/report/", views.report, name="report"),
    path("blocks/<int:user_id>/remove/", views.unblock, name="unblock"),
    path("interviews/<uuid:interview_id>/rate/", views.rate, name="rate"),
    path("coming-up/", views.coming_up, name="coming_up"),
    path("coming-up/read/", views.notifications_read, name="notifications_read"),
    path("me/", views.me, name="me"),
    path("settings/", views.member_settings, name="settings"),
    path("settings/cohort/", views.cohort_join, name="cohort_join"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/cohorts/", views.cohort_create, name="cohort_create"),
    path("moderation/codes/", views.code_create, name="code_create"),
    path("moderation/codes/<int:code_id>/off/", views.code_deactivate, name="code_deactivate"),
    path("moderation/reports/<int:report_id>/reviewed/", views.report_review, name="report_review"),
    path("moderation/members/<int:user_id>/suspend/", views.suspend, name="suspend"),
    path("moderation/members/<int:user_id>/unsuspend/", views.unsuspend, name="unsuspend"),
]
