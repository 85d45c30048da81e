from django.contrib import admin
from django.http import HttpRequest

from .models import PrivateRead


@admin.register(PrivateRead)
class PrivateReadAdmin(admin.ModelAdmin):
    """Every read of an interview's private notes and scores by someone not in it: for
    superusers, read only."""

    list_display = ("at", "reader", "what", "interview")
    list_filter = ("what",)
    search_fields = ("reader__email", "interview__id")
    date_hierarchy = "at"
    list_select_related = ("reader", "interview__case_study")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
