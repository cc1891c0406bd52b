"""Time in one place: the clock, WARC dates, ISO dates, and the user's time bounds.

Every date the store writes or compares goes through these functions:

* WARC 1.1 dates with microseconds (``2026-11-25T03:36:57.123456Z``): :func:`warc_date`;
* the index's sortable ISO 8601 UTC form: :func:`iso_date` (from a WARC or ARC date);
* 14-digit timestamps of CDX and Memento: :func:`cdx_timestamp`, :func:`timestamp_datetime`;
* HTTP dates (RFC 9110): :func:`http_date`;
* what a user types after ``--at``/``--from``/``--to``: :func:`parse_time`.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone
from email.utils import format_datetime

from archive.errors import UsageError


def utcnow() -> datetime:
    """The default clock of the store (injectable everywhere for deterministic tests)."""
    return datetime.now(timezone.utc)


def warc_date(dt: datetime) -> str:
    """WARC 1.1 date with microseconds, e.g. ``2026-11-25T03:36:57.123456Z``."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# A WARC date in UTC, to the second or the microsecond (what nearly every writer puts);
# years before 1000 take the general path, which writes them unpadded.
_WARC_DATE = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z", re.ASCII)


def iso_date(value: str | None) -> str | None:
    """A WARC/ARC date as sortable ISO 8601 UTC with microseconds.

    >>> iso_date("2014-01-03T03:03:21Z")
    '2014-01-03T03:03:21.000000Z'
    >>> iso_date("20080430204825")
    '2008-04-30T20:48:25.000000Z'
    >>> iso_date("2026-11-25T03:36:57.123456Z"), iso_date("2026-02-30T00:00:00Z")
    ('2026-11-25T03:36:57.123456Z', '2026-02-30T00:00:00Z')
    """
    if not value:
        return None
    v = value.strip()
    m = _WARC_DATE.fullmatch(v)
    if m:
        # Already UTC and in the index's form but for the fraction: checked, not re-formatted
        # (an import reads one per record).
        try:
            datetime.fromisoformat(v[:19])
        except ValueError:
            return v
        return f"{v[:19]}.{v[20:26] if len(v) > 20 else '000000'}Z"
    try:
        if v.isdigit() and len(v) >= 8:
            dt = datetime.strptime(v[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        else:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
    except ValueError:
        return v
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str | None) -> str | None:
    """A user's time (ISO date/datetime, or a 4–14 digit timestamp) as an inclusive ISO bound.

    A partial time means the end of that period, as in Wayback URLs.

    >>> parse_time("2019")
    '2019-12-31T23:59:59.999999Z'
    >>> parse_time("20190215103000")
    '2019-02-15T10:30:00.999999Z'
    >>> parse_time("2021-04-03")
    '2021-04-03T23:59:59.999999Z'
    """
    if value is None:
        return None
    v = value.strip()
    try:
        if v.isdigit() and 4 <= len(v) <= 14 and len(v) % 2 == 0:
            full = v + "1231235959"[len(v) - 4:]
            if len(v) < 8:  # no day given: the month's last day
                last = calendar.monthrange(int(full[:4]), int(full[4:6]))[1]
                full = full[:6] + f"{last:02d}" + full[8:]
            dt = datetime.strptime(full, "%Y%m%d%H%M%S")
            return dt.strftime("%Y-%m-%dT%H:%M:%S.999999Z")
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        if len(v) <= 10:  # a date alone means the whole day
            return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT23:59:59.999999Z")
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        raise UsageError(f"cannot read time {value!r}: use ISO 8601 (2026-11-25 or "
                         "2026-11-25T10:00:00Z) or a timestamp like 20261125103000") from None


def warc_date_from_iso(value: str) -> str:
    """An index date back as a WARC-Date (``WARC-Refers-To-Date`` of a revisit)."""
    return value if value.endswith("Z") else value + "Z"


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string as an aware datetime (UTC when no zone is given); None if unreadable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def http_date(iso: str | None) -> str | None:
    """ISO 8601 capture time as an RFC 1123 date (Memento-Datetime).

    >>> http_date("2026-11-25T03:48:29.411644Z")
    'Wed, 25 Nov 2026 03:48:29 GMT'
    """
    dt = parse_iso(iso)
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True) if dt else None


def timestamp_datetime(stamp: str) -> datetime:
    """A 4–14 digit Wayback timestamp as a UTC datetime; missing parts are the earliest.

    >>> timestamp_datetime("2026112503").isoformat()
    '2026-11-25T03:00:00+00:00'
    """
    full = stamp + "00000101000000"[len(stamp):]
    return datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def cdx_timestamp(warc_date_value: str | None) -> str:
    """14-digit timestamp of a WARC-Date (or ARC date).

    >>> cdx_timestamp("2014-01-03T03:03:21.123456Z")
    '20140103030321'
    """
    iso = iso_date(warc_date_value) or ""
    return re.sub(r"\D", "", iso)[:14].ljust(14, "0")


def iso(dt: datetime) -> str:
    """A datetime in the index's ISO form (as :func:`iso_date` gives for its WARC date)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
