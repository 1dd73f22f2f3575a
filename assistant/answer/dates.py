"""Dates and periods named in a question, read into the day whose status answers it.

"On April 1, 2022", "in March 2022", "at the end of 2022", "in spring 2022", "before Thanksgiving
2021", "in 2024", "right after the Supreme Court ruled": each becomes a ``DateNamed`` with its
first and last day and the day the status is reported for (the end of a period, or its start
when the question says early or beginning). Dates relative to an event of the guidelines'
history are read against the manifest's dated status events, so the dates are data, not code.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable

from assistant.types import DateNamed, StatusEvent

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

_HOLIDAYS = (r"thanksgiving|christmas(?:\s+day)?|new\s+year'?s(?:\s+(?:day|eve))?|july\s+4th|independence\s+day|memorial\s+day|labou?r\s+day|"
             r"inauguration\s+day|election\s+day|valentine'?s(?:\s+day)?|halloween|(?:saint|st\.?)\s+patrick'?s(?:\s+day)?|"
             r"veterans\s+day|juneteenth|groundhog\s+day|april\s+fools'?(?:\s+day)?")
_BARE_HOLIDAY = re.compile(rf"\b(?P<holiday>{_HOLIDAYS})\b(?!\s+(?:of\s+)?(?:19|20)\d\d)", re.I)
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<![\d-])(?P<year>(?:19|20)\d\d)-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)(?![\d-])")),
    ("us", re.compile(r"(?<![\d/])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>(?:19|20)?\d\d)(?![\d/])")),
    ("mdy", re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.I)),
    ("dmy", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.I)),
    ("my", re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}", re.I)),
    ("season", re.compile(rf"\b(?P<season>spring|summer|fall|autumn|winter)\s+(?:of\s+)?{_YEAR}", re.I)),
    ("quarter", re.compile(rf"\b(?:(?P<qn>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?|q(?P<qd>[1-4])\s+){_YEAR}", re.I)),
    ("holiday", re.compile(rf"\b(?P<holiday>{_HOLIDAYS})\s+(?:of\s+)?{_YEAR}", re.I)),
    # A year that names a document ("the 2021 guidelines", "the 2014 priorities memo") is not a date.
    ("year", re.compile(rf"\b{_YEAR}\b(?!\s*(?:-|/)\s*\d)(?!\s+(?:(?!the\b|were\b|was\b|they\b|it\b)[\w-]+\s+){{0,2}}"
                        r"(?:guidelines|memo|memorandum|priorities|interim|guidance|order|policy|ruling|decision|case)\b)", re.I)),
]
_PART = re.compile(r"\b(?P<part>early|beginning|start|mid|middle|late|end)(?:\s+of)?\s*(?:the\s+year\s+)?[-\s]*$", re.I)
_BEFORE_AFTER = re.compile(
    r"\b(?P<offset>right|just|shortly|soon|immediately|the\s+(?:day|week|month))?\s*(?P<rel>before|after|since|until|prior\s+to)"
    r"\s*(?:the\s+|they\s+|it\s+|the\s+(?:guidelines|memo)\s+)?$", re.I)
_NOW = re.compile(r"\b(today|right now|currently|at present|these days|nowadays|at the moment)\b|\bnow\b", re.I)
_SEASONS = {"spring": ((3, 20), (6, 20)), "summer": ((6, 21), (9, 22)), "fall": ((9, 23), (12, 20)),
            "autumn": ((9, 23), (12, 20)), "winter": ((12, 21), (12, 31))}
_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

# Events of the guidelines' history a question may date itself by, matched to manifest events by
# their state and by words of their description (never by a date written here).
EVENT_CUES: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"\b(signed|signature|issued)\b", re.I), "not_yet_effective", None),
    (re.compile(r"\b(took|take|taking|went|go|come|came)\s+(?:into\s+)?effect\b|\beffective date\b", re.I), "in_effect", None),
    (re.compile(r"\b(ohio|injunction|enjoined|arizona v\.? biden)\b", re.I), "enjoined", None),
    (re.compile(r"\b(sixth circuit|6th circuit|stayed the (?:ohio )?injunction)\b", re.I), "in_effect", "Sixth Circuit"),
    (re.compile(r"\b(vacatur|vacated|texas (?:court|ruling|judge)|judge tipton)\b", re.I), "vacated", None),
    (re.compile(r"\b(supreme court|scotus|justices)\b.{0,40}\b(rul\w*|decision|decided|held|reversed|opinion|standing)\b"
                r"|\b(standing decision|united states v\.? texas)\b", re.I), "in_effect", "Supreme Court"),
    (re.compile(r"\b(executive orders?|trump|new administration|2025 orders)\b", re.I), "rescinded", None),
]


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _holiday(name: str, year: int) -> dt.date:
    """Memorial Day (last Monday of May), Labor Day (first Monday of September), Election Day (the Tuesday after the
    first Monday of November), Inauguration Day (January 20), the fixed-date holidays, else Independence Day."""
    if name.startswith("memorial"):
        day = dt.date(year, 5, 31)
        return day - dt.timedelta(days=day.weekday())
    if name.startswith("labo"):
        day = dt.date(year, 9, 1)
        return day + dt.timedelta(days=(7 - day.weekday()) % 7)
    if name.startswith("election"):
        day = dt.date(year, 11, 2)
        return day + dt.timedelta(days=(1 - day.weekday()) % 7)
    if name.startswith("inauguration"):
        return dt.date(year, 1, 20)
    for start, month, day in _FIXED_HOLIDAYS:
        if name.startswith(start):
            return dt.date(year, month, day)
    return dt.date(year, 7, 4)


_FIXED_HOLIDAYS = (("valentine", 2, 14), ("halloween", 10, 31), ("saint", 3, 17), ("st", 3, 17), ("veterans", 11, 11),
                   ("juneteenth", 6, 19), ("groundhog", 2, 2), ("april", 4, 1))
"""Holidays on the same day every year: (how the name starts, month, day)."""


def _thanksgiving(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


def _span(kind: str, m: re.Match[str]) -> tuple[dt.date, dt.date] | None:
    g = m.groupdict()
    year = int(g["year"]) if g.get("year") else None
    if year is not None and year < 100:
        year += 2000
    if year is None or not 1900 <= year <= 2100:
        return None
    if kind in ("iso", "us", "mdy", "dmy"):
        month = int(g["month"]) if g["month"].isdigit() else _MONTHS[g["month"].lower().rstrip(".")]
        day = _date(year, month, int(g["day"]))
        return (day, day) if day else None
    if kind == "my":
        month = _MONTHS[g["month"].lower().rstrip(".")]
        return dt.date(year, month, 1), _month_end(year, month)
    if kind == "season":
        (m1, d1), (m2, d2) = _SEASONS[g["season"].lower()]
        return dt.date(year, m1, d1), dt.date(year, m2, d2)
    if kind == "quarter":
        q = _QUARTERS[g["qn"].lower()] if g.get("qn") else int(g["qd"])
        return dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
    if kind == "holiday":
        name = g["holiday"].lower()
        if name.startswith("thanksgiving"):
            day = _thanksgiving(year)
        elif name.startswith("christmas"):
            day = dt.date(year, 12, 25)
        elif "eve" in name:
            day = dt.date(year, 12, 31)
        elif name.startswith("new"):
            day = dt.date(year, 1, 1)
        else:
            day = _holiday(name, year)
        return day, day
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _choose(start: dt.date, end: dt.date, before: str) -> tuple[dt.date, dt.date, dt.date]:
    """Narrow a period by a preceding 'early', 'mid', 'end of' ..., and pick the day the status is given for."""
    part = _PART.search(before)
    if part is not None and start != end:
        length = (end - start).days
        word = part.group("part").lower()
        if word in ("early", "beginning", "start"):
            end = start + dt.timedelta(days=length // 4)
            return start, end, start
        if word in ("mid", "middle"):
            mid = start + dt.timedelta(days=length // 2)
            return mid - dt.timedelta(days=length // 8), mid + dt.timedelta(days=length // 8), mid
        start = end - dt.timedelta(days=length // 4)
    rel = _BEFORE_AFTER.search(before)
    if rel is not None:
        word = rel.group("rel").lower()
        if word in ("before", "until", "prior to"):
            day = start - dt.timedelta(days=1)
            return day, day, day
        day = end + dt.timedelta(days=1)
        return day, day, day
    return start, end, end


def _event_dates(text: str, events: list[StatusEvent]) -> list[DateNamed]:
    """Dates a question gives relative to an event of the history ('right after the Supreme Court ruled')."""
    out: list[DateNamed] = []
    for cue, state, words in EVENT_CUES:
        m = cue.search(text)
        if m is None:
            continue
        event = next((e for e in events if e.state == state and (words is None or words.lower() in e.event.lower())
                      and not (state == "in_effect" and words is None and e.date != min(x.date for x in events if x.state == "in_effect"))),
                     None)
        if event is None:
            continue
        before = text[: m.start()]
        rel = _BEFORE_AFTER.search(before[-40:])
        offset = (rel.group("offset") or "").lower() if rel else ""
        step = {"the week": 7, "the month": 30}.get(" ".join(offset.split()), 1)
        if rel is not None and rel.group("rel").lower() in ("before", "until", "prior to"):
            end = event.date - dt.timedelta(days=1)
            out.append(DateNamed(text=text[rel.start(): m.end()].strip(), start=end - dt.timedelta(days=step - 1), end=end, on=end, event=True))
        elif rel is not None:
            out.append(DateNamed(text=text[rel.start(): m.end()].strip(), start=event.date, end=event.date + dt.timedelta(days=step - 1),
                                 on=event.date, event=True))
        elif re.search(r"\b(when|while|during)\b", before[-30:], re.I):
            out.append(DateNamed(text=m.group(0), start=event.date, end=event.date, on=event.date, event=True))
    return out


def dates_named(text: str, events: Iterable[StatusEvent] = (), today: dt.date | None = None) -> list[DateNamed]:
    """Every date or period the question names, in the order they appear."""
    found: list[tuple[int, DateNamed]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            span = _span(kind, m)
            if span is None:
                continue
            start, end, on = _choose(*span, text[max(0, m.start() - 40): m.start()])
            taken.append((m.start(), m.end()))
            found.append((m.start(), DateNamed(text=m.group(0), start=start, end=end, on=on)))
    years = {d.start.year for _, d in found if d.start.year == d.end.year}
    for m in _BARE_HOLIDAY.finditer(text):  # "in late spring 2022, around Memorial Day": the holiday of that year
        if len(years) == 1 and not any(a < m.end() and m.start() < b for a, b in taken):
            day = _holiday(m["holiday"].lower(), next(iter(years))) if not m["holiday"].lower().startswith(("thanks", "christ", "new", "july", "indep")) else None
            if day is not None:
                found.append((m.start(), DateNamed(text=m.group(0), start=day, end=day, on=day)))
    found.sort(key=lambda pair: pair[0])
    out = [d for _, d in found]
    if not out:
        out = _event_dates(text, list(events))
    if not out and today is not None and _NOW.search(text):
        out = [DateNamed(text=_NOW.search(text).group(0), start=today, end=today, on=today, now=True)]
    return out
