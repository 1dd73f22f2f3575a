"""Redaction of personal details before a record is written: a case's own details and patterns in any free text.

A case's name (in its written forms: any case for the whole name, accents or not, hyphens or
spaces, each part alone when capitalized), A-number and birth date are replaced wherever they
occur. In any text, questions included: A-numbers and A-file numbers, dates of birth, Social
Security numbers, e-mail addresses, phone numbers (Google's libphonenumber, through the
``phonenumbers`` package, plus labelled numbers it deems invalid such as 555 numbers) and names
after a cue ("my client Maria Lopez", "Mr. Lopez", "her son Jose"). The cues and labels are data
(the tables below), each exercised by the tests; docs/AUDIT.md lists what is not caught.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

REDACTED = {"name": "[name redacted]", "a_number": "[A-number redacted]", "birth_date": "[birth date redacted]"}
PATTERN_REDACTED = {"ssn": "[SSN redacted]", "email": "[e-mail redacted]", "phone": "[phone redacted]"}

# --- A-numbers ------------------------------------------------------------------------------------
# 7 to 9 digits written after an "A" (A123456789, a012345678, A-123-456-789, A# 012 345 678) or
# after a label. The labels, as regular expressions (case-insensitive):
A_NUMBER_LABELS = (
    r"a-?\s?(?:number|num|no)\.?",  # A-number, A-Num, A no.
    r"alien\s*(?:registration\s+)?(?:number|num|no\.?|#)",  # Alien registration number, Alien No., Alien #
    r"a-?\s?file(?:\s*(?:number|num|no\.?|#))?",  # A-file, A file no., A-File #
    r"alien\s+file(?:\s*(?:number|no\.?|#))?",
    r"(?:uscis|ins)\s*(?:number|no\.?|#)",
)
_DIGITS = r"(?:\d{3}[ .-]?\d{3}[ .-]?\d{3}|\d{2}[ .-]?\d{3}[ .-]?\d{3}|\d{7,9})"
A_NUMBER = re.compile(
    r"(?:(?<![A-Za-z0-9])[Aa]\s?[#:-]?\s?"
    rf"|(?i:\b(?:{'|'.join(A_NUMBER_LABELS)})\s*[#:]?\s*[:-]?\s*))"
    + _DIGITS + r"(?!\d)"
)

# --- dates of birth -------------------------------------------------------------------------------
BIRTH_LABELS = (
    r"date\s+of\s+birth", r"d\.?\s?o\.?\s?b\.?", r"born(?:\s+on)?", r"birth\s*date", r"birthday", r"b\.\s?d\.",
)
_MONTHS = "|".join(calendar.month_name[1:]) + "|" + "|".join(m + r"\.?" for m in calendar.month_abbr[1:])
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 1950-03-15, 1950/03/15, 1950.03.15
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 03/15/1950, 3-15-1950, 15.03.1950, 3/15/50
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 15, 1950; Mar. 15th 1950
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS}),?\s+\d{{4}}"  # 15 March 1950, 15th of March, 1950
    r"|\d{8})"  # 19500315
)
BIRTH_DATE = re.compile(rf"(?i:\b(?:{'|'.join(BIRTH_LABELS)})\s*(?:is|was)?\s*[:\-#]?\s*){_DATE}")

# --- Social Security numbers, e-mail addresses, phone numbers -------------------------------------
SSN_LABELS = (r"ssn", r"s\.s\.n\.", r"social\s+security(?:\s+(?:number|no\.?|#))?", r"ss\s*#")
SSN = re.compile(
    rf"(?i:\b(?:{'|'.join(SSN_LABELS)})\s*[#:]?\s*)\d{{3}}[ .-]?\d{{2}}[ .-]?\d{{4}}(?!\d)"  # labelled, any separators
    r"|(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"  # 123-45-6789 alone: the SSA's rules
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
PHONE_LABELS = (
    r"phone", r"tel(?:ephone)?\.?", r"cell(?:phone)?", r"mobile", r"fax", r"whatsapp",
    r"call(?:ed)?(?:\s+(?:me|us|him|her))?(?:\s+at)?",
)
PHONE_LABELLED = re.compile(rf"(?i:\b(?:{'|'.join(PHONE_LABELS)})\b\s*(?:no\.?|number|#)?\s*[:#]?\s*)\+?\d[\d\s().-]{{5,18}}\d")
PHONE_REGION = "US"  # numbers without a country code are read as US numbers

# --- names after a cue ----------------------------------------------------------------------------
NAME_CUES = (
    r"(?:my|our|the|a|this)\s+client(?:'s)?", r"client", r"respondent", r"noncitizen", r"detainee", r"applicant",
    r"(?:his|her|their|my|the)\s+(?:husband|wife|spouse|partner|son|daughter|child|mother|father|brother|sister|"
    r"cousin|uncle|aunt|grandmother|grandfather|grandson|granddaughter|nephew|niece)",
    r"named", r"called", r"(?:whose|his|her|their|my|the)\s+name\s+is", r"name\s*:",
    r"mr\.?", r"mrs\.?", r"ms\.?", r"miss", r"mx\.?", r"dr\.?", r"se[ñn]or(?:a|ita)?", r"sr\.?", r"sra\.?", r"don|do[ñn]a",
)
# Capitalized words that follow a cue without being a name ("the client I represent", "Mr. Smith's").
NOT_NAMES = frozenset(
    "I A An The And Or But If In On At To Of For From By With Was Is Has Had Who Whom Whose Which That This What When "
    "Where Why How Does Do Did Can Could Would Should Will May Might Must Be Been Being Are Were Not No Yes It He She "
    "They We You His Her Their Our My Your Its ICE DHS CBP USCIS EOIR DOJ FBI US U.S Monday Tuesday Wednesday Thursday "
    "Friday Saturday Sunday January February March April May June July August September October November December".split()
)
_NAME_WORD = r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*"
NAME_AFTER_CUE = re.compile(
    rf"(?i:\b(?:{'|'.join(NAME_CUES)}))(?P<gap>[\s,:]+)(?P<name>(?-i:[A-Z\u00c0-\u00de]){_NAME_WORD}"
    rf"(?:[\s-]+(?-i:[A-Z\u00c0-\u00de]){_NAME_WORD}){{0,3}})"
)


def _name_after_cue(match: re.Match[str]) -> str:
    """The cue kept and the name after it replaced, up to the first word that is not a name."""
    name = match.group("name")
    end = 0
    for word in re.finditer(_NAME_WORD, name):
        if re.sub(r"['’]s$", "", word.group()) in NOT_NAMES:
            break
        end = word.end()
    if end == 0:
        return match.group(0)
    possessive = re.search(r"['’]s$", name[:end])
    cue = match.group(0)[: match.start("name") - match.start(0)]
    return cue + REDACTED["name"] + (possessive.group(0) if possessive else "") + name[end:]


# --- a case's own details -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _letter_variants() -> dict[str, str]:
    """For each plain letter, itself and every precomposed Latin letter that folds to it (é, è, ê... for e)."""
    out: dict[str, set[str]] = {}
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        if len(base) == 1 and base.isalpha():
            out.setdefault(base.lower(), {base.lower()}).add(char.lower())
            out.setdefault(base.upper(), {base.upper()}).add(char.upper())
    return {k: "".join(sorted(v)) for k, v in out.items()}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _flexible(word: str) -> str:
    """A pattern of ``word`` with or without accents (precomposed or combining) on each letter."""
    variants = _letter_variants()
    out = []
    for char in _fold(word) or word:
        if char.isalpha():
            chars = variants.get(char.lower(), char.lower()) + variants.get(char.upper(), char.upper())
            out.append(f"[{re.escape(chars)}]" + "[\u0300-\u036f]*")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _date_forms(day: dt.date) -> list[str]:
    month, abbr = calendar.month_name[day.month], calendar.month_abbr[day.month]
    return [
        day.isoformat(), f"{day.year}/{day.month:02d}/{day.day:02d}", f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month:02d}.{day.day:02d}", f"{day.year}{day.month:02d}{day.day:02d}",
        f"{day.month}/{day.day}/{day.year}", f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.month}-{day.day}-{day.year}", f"{day.month:02d}-{day.day:02d}-{day.year}",
        f"{day.month}.{day.day}.{day.year}", f"{day.day}.{day.month}.{day.year}", f"{day.day:02d}.{day.month:02d}.{day.year}",
        f"{day.month}/{day.day}/{day.year % 100:02d}", f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}",
        f"{month} {day.day}, {day.year}", f"{month} {day.day} {day.year}", f"{abbr} {day.day}, {day.year}",
        f"{abbr}. {day.day}, {day.year}", f"{day.day} {month} {day.year}", f"{day.day} {abbr} {day.year}",
    ]


def personal_patterns(case: Any) -> list[tuple[re.Pattern[str], str]]:
    """Patterns of the personal details of ``case`` (name, A-number, birth date) and their replacements."""
    out: list[tuple[re.Pattern[str], str]] = []
    person = getattr(case, "person", None)
    if person is None:
        return out
    name = (person.name or "").strip()
    if name:
        parts = re.findall(r"[^\W\d_]+", name)
        # The whole name in any case, accents or not, its parts joined by spaces or hyphens.
        whole = r"[\s-]+".join(_flexible(p) for p in parts)
        out.append((re.compile(rf"(?<!\w){whole}(?!\w)", re.I), REDACTED["name"]))
        for part in (p for p in parts if len(p) >= 3):  # "Ms. Lopez", "LÓPEZ's" in the notes are the same person
            # Capitalized or in capitals only: a part that is also a word ("Rose", "Young") stays a word in lower case.
            title, upper = _flexible(part[0].upper()) + _flexible(part[1:].lower()), _flexible(part.upper())
            out.append((re.compile(rf"(?<!\w)(?:{title}|{upper})(?!\w)"), REDACTED["name"]))
    digits = re.sub(r"\D", "", person.a_number or "")
    if len(digits) >= 5:
        out.append((re.compile(r"(?:(?<![A-Za-z0-9])[Aa][\s#:-]*)?(?<!\d)" + r"[\s#:.-]*".join(digits) + r"(?!\d)"),
                    REDACTED["a_number"]))
    if (person.a_number or "").strip():
        out.append((re.compile(re.escape(person.a_number.strip()), re.I), REDACTED["a_number"]))
    if person.birth_date is not None:
        forms = "|".join(re.escape(f) for f in sorted(set(_date_forms(person.birth_date)), key=len, reverse=True))
        out.append((re.compile(rf"(?<![\d/.-])(?:{forms})(?![\d/-]|\.\d)", re.I), REDACTED["birth_date"]))
    return out


_DIGIT = re.compile(r"\d")
_ONE_NAME = re.compile(re.escape(REDACTED["name"]) + r"(?:[\s-]+" + re.escape(REDACTED["name"]) + ")+")


# Which texts libphonenumber could find a valid number in, decided without running it (its matcher costs about
# 0.1 ms a text, and nearly every answer holds dates and offsets). Its candidates are groups of digits joined by its
# punctuation (``phonenumberutil._VALID_PUNCTUATION``, in which "x" may also stand for a 9 on a keypad), after an
# optional plus sign, read as US numbers. With a plus sign a valid number has at least 6 digits (a country code and
# the shortest national number). Without one it is a number of country code 1 (US, Canada...: 7 or 10 digits), the
# same after the national prefix 1 or after the country code 1 and the national prefix 1 (both are stripped), or
# 011 and an international number (9 digits or more, starting 011). tests/test_perf_audit.py holds these constants
# to the installed package's own tables, and to the matcher itself on random numbers.
PHONE_PUNCTUATION = (
    "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\\[\\]/~"
    "\u2053\u223c\uff5e"
)
PHONE_PLUS = "+\uff0b"
PHONE_MIN_DIGITS_PLUS = 6
PHONE_NATIONAL_LENGTHS = frozenset({7, 10})  # country code 1
PHONE_COUNTRY_CODE = "1"
PHONE_NATIONAL_PREFIX = "1"
PHONE_INTERNATIONAL_PREFIX = "011"
PHONE_MIN_DIGITS_INTERNATIONAL = 9
_PHONE_RUN = re.compile(f"[{PHONE_PUNCTUATION}{PHONE_PLUS}]*\\d[{PHONE_PUNCTUATION}{PHONE_PLUS}\\d]*")  # runs with a digit
_PHONE_GROUP = re.compile(r"[\dx]+")
_PHONE_DIGIT = re.compile(r"[\dx]")


def _could_be_valid(digits: str, keypad: bool, plus: bool) -> bool:
    """Whether a candidate with these digits (``keypad``: some "x" among them, each maybe a 9) could be valid."""
    n = len(digits)
    if plus:
        return n >= PHONE_MIN_DIGITS_PLUS
    for lead in ("", PHONE_NATIONAL_PREFIX, PHONE_COUNTRY_CODE + PHONE_NATIONAL_PREFIX):
        if n - len(lead) in PHONE_NATIONAL_LENGTHS and (keypad or digits.startswith(lead)):
            return True
    return n >= PHONE_MIN_DIGITS_INTERNATIONAL and (keypad or digits.startswith(PHONE_INTERNATIONAL_PREFIX))


def may_hold_phone(text: str) -> bool:
    """False only when libphonenumber can find no valid number in ``text`` (see the constants above)."""
    fewest = min(PHONE_MIN_DIGITS_PLUS, *PHONE_NATIONAL_LENGTHS)
    plus = any(c in text for c in PHONE_PLUS)
    for run in _PHONE_RUN.findall(text):
        if len(run) < fewest or len(_PHONE_DIGIT.findall(run)) < fewest:
            continue
        groups = _PHONE_GROUP.findall(run)
        for i in range(len(groups)):  # every span of consecutive groups, its x's read as separators or as 9s
            for j in range(i + 1, len(groups) + 1):
                span = "".join(groups[i:j])
                digits = span.replace("x", "")
                if _could_be_valid(digits, False, plus) or ("x" in span and any(
                        _could_be_valid("0" * k, True, plus) for k in range(len(digits), len(span) + 1))):
                    return True
    return False


def _phones(text: str) -> str:
    """``text`` with phone numbers replaced: those libphonenumber finds valid, and labelled ones."""
    text = PHONE_LABELLED.sub(lambda m: m.group(0)[: _label_end(m)] + PATTERN_REDACTED["phone"], text)
    if not may_hold_phone(text):
        return text
    import phonenumbers

    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + PATTERN_REDACTED["phone"] + text[end:]
    return text


def load_phone_metadata() -> None:
    """Import libphonenumber and read every region's metadata now (about 60 ms), not in the first record with a number.

    Both are otherwise loaded on first use, region by region, inside whichever answer first holds a number.
    """
    import phonenumbers

    phonenumbers.PhoneMetadata.load_all()


def _label_end(match: re.Match[str]) -> int:
    """Where the digits of a labelled number start within the match (the label is kept)."""
    return re.search(r"\+?\d", match.group(0)).start()  # type: ignore[union-attr]


def redact_text(text: str, patterns: list[tuple[re.Pattern[str], str]] = ()) -> str:
    """``text`` with the case's details and any A-numbers, dates of birth, SSNs, e-mails, phones and cued names replaced."""
    if "@" in text:  # every pattern is skipped where it cannot match: an answer's strings are many and mostly plain
        text = EMAIL.sub(PATTERN_REDACTED["email"], text)  # first: a name inside an address goes with the address
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    if _DIGIT.search(text):  # A-numbers, birth dates, SSNs and phone numbers all hold a digit
        text = A_NUMBER.sub(REDACTED["a_number"], text)
        text = BIRTH_DATE.sub(REDACTED["birth_date"], text)
        text = SSN.sub(PATTERN_REDACTED["ssn"], text)
        text = _phones(text)
    text = NAME_AFTER_CUE.sub(_name_after_cue, text)
    if REDACTED["name"] not in text:
        return text
    return _ONE_NAME.sub(REDACTED["name"], text)  # "Maria Lopez" is one redacted name, not two


_CACHED_LENGTH = 2000


@lru_cache(maxsize=4096)
def _redacted_plain(text: str) -> str:
    """``redact_text`` without a case's own patterns, remembered: an answer's quotes, labels and the status sentence
    recur in answer after answer, and redacting them again cost more than the log's write."""
    return redact_text(text)


def redact(
    value: Any, patterns: list[tuple[re.Pattern[str], str]] = (), _key: object = None, _done: dict[str, str] | None = None
) -> Any:
    """A copy of a JSON-like value with every string redacted, and a ``person``'s personal fields replaced."""
    done = {} if _done is None else _done  # within one value, a string seen again (a label, a quote) is redacted once
    if isinstance(value, str):
        if _key in IDENTIFIER_KEYS and _IDENTIFIER.fullmatch(value):
            return value  # an id, anchor or code: never personal, and must stay as written (a chat is found by its id)
        if value not in done:
            done[value] = redact_text(value, patterns) if patterns or len(value) > _CACHED_LENGTH else _redacted_plain(value)
        return done[value]
    if isinstance(value, dict):
        return {
            key: REDACTED[key] if _key == "person" and key in REDACTED and item not in (None, "")
            else redact(item, patterns, key, done)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, patterns, None, done) for v in value]
    return value


NO_TEXT = "[text not stored]"
IDENTIFIER_KEYS = frozenset({
    "id", "passage_id", "doc_id", "anchor", "code", "severity", "kind", "state", "status", "outcome", "backend",
    "composer", "finding", "as_of", "assessed_on", "since", "cited", "passages", "set_name", "reason_code",
    "conversation_id", "build_id",
})
_IDENTIFIER = re.compile(r"[\w.:#/+-]{1,100}")


def without_text(value: Any, _key: object = None) -> Any:
    """A copy of a JSON-like value with every free text replaced by ``NO_TEXT`` (audit.store_text off).

    A string survives only under an identifier key (ids, anchors, codes, states, dates) and only when it is one
    token of at most 100 characters: nothing a person wrote, or a passage said, is kept.
    """
    if isinstance(value, str):
        return value if _key in IDENTIFIER_KEYS and _IDENTIFIER.fullmatch(value) else NO_TEXT
    if isinstance(value, dict):
        return {key: without_text(item, key) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_text(v, _key) for v in value]
    return value
