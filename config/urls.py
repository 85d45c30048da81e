from django.contrib import admin
from django.urls import include, path

from casestudies import views as bank_views
from interviews import views as interview_views
from rubrics import views as rubric_views

admin.site.site_header = "Sevensteps curation"
admin.site.site_title = "Sevensteps curation"
admin.site.index_title = "Question bank and rubrics"
admin.site.enable_nav_sidebar = False  # the case list needs the width

urlpatterns = [
    # The whole bank in and out, for curators (rubrics/bank.py), inside the admin's login.
    path("admin/bank/", admin.site.admin_view(rubric_views.bank_import), name="bank_import"),
    path(
        "admin/bank/export.zip",
        admin.site.admin_view(rubric_views.bank_export),
        name="bank_export",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The library pages combine the bank with the user's own practice, and the previews show
    # the guide (whose rule knows who is a candidate where), so their views live in the
    # interviews app; the bank and the rubrics build the preview pages.
    path("library/", interview_views.library, name="library"),
    # The bank's own pages before the case pages, whose slug would otherwise take "glossary".
    path(
        "library/",
        include(
            (
                [
                    path("glossary/", bank_views.glossary, name="glossary"),
                    path(
                        "<slug:slug>/preview/candidate/",
                        interview_views.case_preview_candidate,
                        name="preview_candidate",
                    ),
                ],
                "casestudies",
            )
        ),
    ),
    path("library/<slug:slug>/", interview_views.case_detail, name="case_detail"),
    path(
        "library/<slug:slug>/preview/interviewer/",
        interview_views.case_preview_interviewer,
        name="case_preview_interviewer",
    ),
    path("partners/", include("partners.urls")),
    path("", include("accounts.urls")),
    path("", include("feedback.urls")),
    path("", include("interviews.urls")),
]
