from django.urls import path

from . import views

app_name = "casestudies"

urlpatterns = [
    path("", views.library, name="library"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/preview/candidate/", views.preview_candidate, name="preview_candidate"),
    path(
        "<slug:slug>/preview/interviewer/",
        views.preview_interviewer,
        name="preview_interviewer",
    ),
]
