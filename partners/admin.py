"""Admin for finding a partner. Moderators work on the moderation page (cohorts, codes,
reports, suspensions); the admin shows the rest read-only, since bookings and requests change
only through the services."""

from django.contrib import admin

from .models import (
    Booking,
    BookingEvent,
    Cohort,
    InterviewerRating,
    InviteCode,
    Member,
    MisconductReport,
    PracticeRequest,
    Seat,
)


class InviteCodeInline(admin.TabularInline):
    model = InviteCode
    extra = 0
    fields = ("code", "max_uses", "uses", "expires_at", "active")
    readonly_fields = ("uses",)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "created_at")
    search_fields = ("name",)
    inlines = [InviteCodeInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "cohort", "time_zone", "paused_until", "suspended_at")
    list_filter = ("cohort",)
    search_fields = ("user__email", "user__profile__display_name")
    raw_id_fields = ("user", "suspended_by")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SeatInline(_ReadOnlyInline):
    model = Seat
    fields = ("user", "first_role", "level", "confirmed_at", "outcome")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = BookingEvent
    fields = ("at", "actor", "kind", "old", "new", "data")
    readonly_fields = fields


@admin.register(Booking)
class BookingAdmin(ReadOnly):
    list_display = ("pk", "status", "kind", "starts_at", "minutes", "created_at")
    list_filter = ("status", "kind")
    inlines = [SeatInline, EventInline]


@admin.register(PracticeRequest)
class PracticeRequestAdmin(ReadOnly):
    list_display = ("pk", "user", "status", "roles", "target_level", "minutes", "created_at")
    list_filter = ("status", "roles", "target_level")


@admin.register(InterviewerRating)
class InterviewerRatingAdmin(ReadOnly):
    list_display = ("interview", "interviewer", "preparation", "hints", "fairness", "created_at")


@admin.register(MisconductReport)
class MisconductReportAdmin(ReadOnly):
    list_display = ("reported", "reporter", "status", "created_at")
    list_filter = ("status",)
