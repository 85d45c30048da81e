from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("interviews/new/", views.interview_new, name="interview_new"),
    path("drills/new/", views.drill_new, name="drill_new"),
    path("join/<str:token>/", views.invite_join, name="join"),
    path("interviews/<uuid:interview_id>/", views.room, name="room"),
    path("interviews/<uuid:interview_id>/invite/", views.invite_renew, name="invite_renew"),
    path("interviews/<uuid:interview_id>/abandon/", views.interview_abandon, name="abandon"),
    path("interviews/<uuid:interview_id>/call-link/", views.call_link_edit, name="call_link"),
    path("interviews/<uuid:interview_id>/board.png", views.board_image, name="board_image"),
]
