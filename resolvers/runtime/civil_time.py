"""The hub's civil time. The counties it serves keep China Standard Time (UTC+8, no daylight
saving): their days and weeks begin at their midnight, not at UTC's (08:00 there), whatever
zone the server runs in. A fixed offset rather than a zone database entry: it has not
changed since 1991."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CIVIL_TIME_ZONE = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """The moment, in UTC: what every stored time is."""
    return datetime.now(timezone.utc)


def today() -> date:
    """The civil date now: whose staff serve today, which birth dates lie in the future."""
    return datetime.now(CIVIL_TIME_ZONE).date()


def civil_days(since: datetime, until: datetime) -> tuple[date, date]:
    """The first and last civil day of the period [since, until)."""
    return since.astimezone(CIVIL_TIME_ZONE).date(), (until - timedelta(microseconds=1)).astimezone(
        CIVIL_TIME_ZONE).date()
