from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Sevensteps curation"
admin.site.site_title = "Sevensteps curation"
admin.site.index_title = "Question bank, rubrics and sessions"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("library/", include("casestudies.urls")),
    path("", include("interviews.urls")),
]
