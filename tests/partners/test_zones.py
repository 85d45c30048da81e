"""Wall-clock times in a member's zone to UTC and back, across daylight-saving changes."""

from datetime import UTC, date, datetime, time

import pytest

from partners import zones


def test_a_london_evening_is_an_hour_earlier_in_utc_in_summer_and_the_same_in_winter():
    summer, _ = zones.local_to_utc(date(2026, 3, 30), time(18, 0), "Europe/London")
    winter, _ = zones.local_to_utc(date(2026, 3, 28), time(18, 0), "Europe/London")
    assert summer == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
    assert winter == datetime(2026, 3, 28, 18, 0, tzinfo=UTC)


def test_a_time_skipped_when_the_clocks_go_forward_is_refused():
    with pytest.raises(zones.TimeError, match="does not exist in Europe/London"):
        zones.local_to_utc(date(2026, 3, 29), time(1, 30), "Europe/London")


def test_a_time_that_happens_twice_when_the_clocks_go_back_takes_the_first_and_says_so():
    moment, note = zones.local_to_utc(date(2026, 10, 25), time(1, 30), "Europe/London")
    assert moment == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert "happens twice" in note and "BST" in note


def test_an_ordinary_time_has_no_note():
    assert zones.local_to_utc(date(2026, 6, 1), time(9, 15), "Asia/Kolkata") == (
        datetime(2026, 6, 1, 3, 45, tzinfo=UTC),
        "",
    )


def test_the_same_instant_reads_differently_in_each_zone_while_europe_and_america_differ():
    # Between the American change (8 March) and the European one (29 March) New York is four
    # hours behind London, not five.
    moment = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
    assert zones.utc_to_local(moment, "Europe/London").hour == 17
    assert zones.utc_to_local(moment, "America/New_York").hour == 13
    assert zones.offset_label(moment, "America/New_York") == "UTC-04:00"
    assert zones.offset_label(datetime(2026, 4, 20, tzinfo=UTC), "Europe/London") == "UTC+01:00"


def test_unknown_zones_are_refused():
    assert not zones.is_zone("Mars/Olympus_Mons")
    with pytest.raises(zones.TimeError):
        zones.zone("Mars/Olympus_Mons")
    assert zones.is_zone("Europe/London") and zones.is_zone("UTC")
