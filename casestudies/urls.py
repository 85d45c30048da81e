from django.urls import path

from . import views

app_name = "casestudies"

urlpatterns = [
    path("glossary/", views.glossary, name="glossary"),
    path("<slug:slug>/preview/candidate/", views.preview_candidate, name="preview_candidate"),
]
