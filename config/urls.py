from django.contrib import admin
from django.urls import include, path

from interviews import views as interview_views
from rubrics import views as rubric_views

admin.site.site_header = "Sevensteps curation"
admin.site.site_title = "Sevensteps curation"
admin.site.index_title = "Question bank, rubrics and sessions"
admin.site.enable_nav_sidebar = False  # the case list needs the width

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The library pages combine the bank with the user's own practice, so they live in the
    # interviews app; curation previews stay with the bank.
    path("library/", interview_views.library, name="library"),
    path("library/<slug:slug>/", interview_views.case_detail, name="case_detail"),
    path("library/", include("casestudies.urls")),
    path(
        "library/<slug:slug>/preview/interviewer/",
        rubric_views.case_preview_interviewer,
        name="case_preview_interviewer",
    ),
    path("partners/", include("partners.urls")),
    path("", include("accounts.urls")),
    path("", include("feedback.urls")),
    path("", include("interviews.urls")),
]
