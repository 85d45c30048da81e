"""Wall-clock times in a member's time zone, to and from UTC, with daylight-saving changes
spelled out. Plain Python (``zoneinfo``): no Django here.

A local time can fail to exist (the hour skipped when clocks go forward) or exist twice (the
hour repeated when they go back). The first is refused with a message; the second takes the
earlier of the two, and says so, since the member cannot tell them apart on a form.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class TimeError(ValueError):
    """A local time that cannot be used, with a message for the member."""


@cache
def zone_names() -> tuple[str, ...]:
    """The IANA zone names a member may choose, "Area/City" ones and UTC, sorted."""
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV"))}
    return ("UTC", *sorted(names))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"{name!r} is not a time zone we know.") from None


def is_zone(name: str) -> bool:
    return name in zone_names()


def local_to_utc(day: date, clock: time, zone_name: str) -> tuple[datetime, str]:
    """The UTC instant of a wall-clock time in a zone, and a note ("" when there is nothing
    to say) about an ambiguous time. Raises ``TimeError`` for a time that does not exist."""
    tz = zone(zone_name)
    naive = datetime.combine(day, clock.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    # A time that does not exist comes back changed from a round trip through UTC.
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise TimeError(
            f"{naive:%H:%M} on {naive:%-d %B} does not exist in {zone_name}: the clocks go "
            "forward then. Choose another time."
        )
    note = ""
    if first.utcoffset() != second.utcoffset():
        note = (
            f"{naive:%H:%M} on {naive:%-d %B} happens twice in {zone_name} (the clocks go back); "
            f"we took the first, {first:%H:%M} {first.tzname()}."
        )
    return first.astimezone(UTC), note


def utc_to_local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(zone(zone_name))


def offset_label(moment: datetime, zone_name: str) -> str:
    """ "UTC+01:00" style label of the zone's offset at that moment."""
    offset = utc_to_local(moment, zone_name).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
