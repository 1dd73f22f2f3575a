"""Redaction of personal details before a record is written: a case's own details and patterns in any free text.

A case's name, A-number and birth date are replaced wherever they occur; A-number-like patterns
and dates of birth are replaced in any text, questions included.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

REDACTED = {"name": "[name redacted]", "a_number": "[A-number redacted]", "birth_date": "[birth date redacted]"}

# A-numbers are 7 to 9 digits written after an "A" (A123456789, A-123-456-789, A# 012 345 678) or
# after a label ("A-number: 123456789", "alien registration no. 12345678").
_DIGITS = r"(?:\d{3}[ -]?\d{3}[ -]?\d{3}|\d{2}[ -]?\d{3}[ -]?\d{3}|\d{7,9})"
A_NUMBER = re.compile(
    r"(?:(?<![A-Za-z0-9])A\s?[#:-]?\s?"
    r"|(?i:\b(?:a-?\s?(?:number|num|no)\.?|alien\s+(?:registration\s+)?(?:number|no\.?))\s*[#:]?\s*-?\s*))"
    + _DIGITS + r"(?!\d)"
)
_MONTHS = "|".join(calendar.month_name[1:]) + "|" + "|".join(m + r"\.?" for m in calendar.month_abbr[1:])
_DATE = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})"
BIRTH_DATE = re.compile(rf"(?i:\b(?:date\s+of\s+birth|d\.?o\.?b\.?|born(?:\s+on)?|birth\s*date)\s*[:\-]?\s*){_DATE}")


def _date_forms(day: dt.date) -> list[str]:
    month = calendar.month_name[day.month]
    return [
        day.isoformat(),
        f"{day.month}/{day.day}/{day.year}", f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{month} {day.day}, {day.year}", f"{day.day} {month} {day.year}",
    ]


def personal_patterns(case: Any) -> list[tuple[re.Pattern[str], str]]:
    """Patterns of the personal details of ``case`` (name, A-number, birth date) and their replacements."""
    out: list[tuple[re.Pattern[str], str]] = []
    person = getattr(case, "person", None)
    if person is None:
        return out
    name = (person.name or "").strip()
    if name:
        out.append((re.compile(re.escape(name), re.I), REDACTED["name"]))
        for part in re.findall(r"[^\W\d_][\w'-]{2,}", name):  # "Ms. Lopez" in the notes is the same person
            out.append((re.compile(rf"(?<!\w){re.escape(part)}(?!\w)"), REDACTED["name"]))
    digits = re.sub(r"\D", "", person.a_number or "")
    if len(digits) >= 5:
        out.append((re.compile(r"(?<!\d)" + r"[\s#:-]*".join(digits) + r"(?!\d)"), REDACTED["a_number"]))
    if (person.a_number or "").strip():
        out.append((re.compile(re.escape(person.a_number.strip()), re.I), REDACTED["a_number"]))
    if person.birth_date is not None:
        forms = "|".join(re.escape(f) for f in _date_forms(person.birth_date))
        out.append((re.compile(rf"(?<![\d/-])(?:{forms})(?![\d/-])", re.I), REDACTED["birth_date"]))
    return out


def redact_text(text: str, patterns: list[tuple[re.Pattern[str], str]] = ()) -> str:
    """``text`` with the given personal details, A-number-like patterns and dates of birth replaced."""
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    text = A_NUMBER.sub(REDACTED["a_number"], text)
    return BIRTH_DATE.sub(REDACTED["birth_date"], text)


def redact(value: Any, patterns: list[tuple[re.Pattern[str], str]] = (), _key: object = None) -> Any:
    """A copy of a JSON-like value with every string redacted, and a ``person``'s personal fields replaced."""
    if isinstance(value, str):
        return redact_text(value, patterns)
    if isinstance(value, dict):
        return {
            key: REDACTED[key] if _key == "person" and key in REDACTED and item not in (None, "") else redact(item, patterns, key)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, patterns) for v in value]
    return value
