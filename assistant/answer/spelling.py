"""Misspellings corrected against the corpus's own vocabulary before searching.

A word is corrected only when it is not a word of the corpus (its passages, labels and aliases)
or of the question vocabulary, and a word of those lies within one edit (two for longer words),
found with rapidfuzz. A real English word is left alone unless the candidate is far more common
(the English word counts come with symspellpy's frequency dictionary): "mater" becomes "matter",
"bread" never becomes "break". The corrections are shown with the answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.types import Correction

QUESTION_WORDS = frozenset("""
what which who whom whose when where why how does do did is are was were can could should would will may might must
matter matters count counts counted help helps hurt weigh weighs weighed consider considered considering factor factors
guideline guidelines memo memorandum someone somebody person people their there they them his her he she my client
apply applies applied about against favor favour reason reasons still force effect effective valid rescinded vacated
enjoined priority priorities mitigating aggravating officer officers agent agents deport deported deportation remove
removal arrest arrested detain detained outweigh outweighs
""".split())
"""Words people ask with, which a corpus of restated rules may not contain."""

INTERROGATIVES = frozenset("what which who whom whose when where why how does do did is are was were can could should".split())
_WORD = re.compile(r"[A-Za-z][a-z]+(?:'[a-z]+)?|[a-z]+")
COMMONER = 30.0
"""A known English word is corrected only when the candidate is this many times more common."""
COMMON = 5_000_000
# An English word less common than that is corrected only to a word one edit away: "mater" to "matter", never
# "upheld" to "held".
"""An English word at least this common (in the frequency dictionary) is never corrected: "end" is not a misspelled "and"."""


@lru_cache(maxsize=1)
def english_counts() -> dict[str, int]:
    """Word -> count in the English frequency dictionary that ships with symspellpy (read once)."""
    from importlib.resources import files

    counts: dict[str, int] = {}
    path = Path(str(files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt")))
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, _, count = line.partition(" ")
            if count:
                counts[word] = int(count)
    return counts


def corpus_words(texts: list[str]) -> frozenset[str]:
    """The lowercase words of ``texts`` (passages, labels, aliases)."""
    return frozenset(w.lower() for t in texts for w in _WORD.findall(t))


@lru_cache(maxsize=4)
def _known_words(vocabulary: frozenset[str]) -> tuple[frozenset[str], list[str]]:
    """The words never corrected, and the same sorted as rapidfuzz's choices (once per index, not per question)."""
    known = vocabulary | QUESTION_WORDS
    return known, sorted(known)


TEXTSPEAK = {"enuf": "enough", "cuz": "because", "coz": "because", "bcuz": "because", "b4": "before", "thru": "through",
             "tho": "though", "pls": "please", "plz": "please", "wat": "what", "wut": "what", "abt": "about", "govt": "government",
             "gov't": "government", "ppl": "people", "yrs": "years", "yr": "year", "sb": "somebody", "smth": "something", "w/o": "without",
             "whats": "what is", "wheres": "where is", "whos": "who is", "hows": "how is", "whens": "when is", "isnt": "isn't",
             "doesnt": "doesn't", "dont": "don't", "didnt": "didn't", "cant": "can't", "wont": "won't", "arent": "aren't",
             "wasnt": "wasn't", "werent": "weren't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "couldnt": "couldn't"}
"""Chat spellings no edit distance reaches ("enuf" is three edits from "enough"), and contractions typed without their
apostrophe ("whats", "doesnt"): read as the words they stand for."""


def correct(question: str, vocabulary: frozenset[str], names: frozenset[str] = frozenset()) -> tuple[str, list[Correction]]:
    """The question with misspelled words corrected, and the corrections made.

    A capitalized word inside a sentence is a name: it is corrected only to a name the corpus
    writes, one edit away ("Texsas" to "Texas"), never to a common word ("Noem" stays "Noem")."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    known, choices = _known_words(vocabulary)
    counts: dict[str, int] | None = None
    corrections: list[Correction] = []

    def fix(match: re.Match[str]) -> str:
        nonlocal counts
        word = match.group(0)
        lower = word.lower()
        if lower in known:
            return word  # most words of most questions: nothing below applies to a known word
        if lower in TEXTSPEAK:
            corrections.append(Correction(original=word, corrected=TEXTSPEAK[lower]))
            return TEXTSPEAK[lower]
        if (word[:1].isupper() and word[1:].islower() and match.start() > 0 and lower not in known and lower.isalpha()
                and not english_counts().get(lower)):  # "State" is a word, not a misspelled "States"
            name = _nearest_name(lower, names)
            if name is not None:
                corrections.append(Correction(original=word, corrected=name.capitalize()))
                return name.capitalize()
        if len(lower) < 3 or lower in known or not lower.isalpha() or word[:1].isupper() and word[1:].islower() and match.start() > 0:
            return word  # short words, known words, and capitalized names inside a sentence are left alone
        if question[match.end(): match.end() + 1] == "-" or question[max(match.start() - 1, 0): match.start()] == "-":
            return word  # a part of a hyphenated word ("pre-approval", "re-entry") is not a word of its own
        limit = 1 if len(lower) <= 5 else 2
        found = process.extract(lower, choices, scorer=OSA.distance, score_cutoff=limit, limit=12)  # a swap is one edit
        counts = counts if counts is not None else english_counts()
        if not found:
            english = None if counts.get(lower) or len(lower) < 6 else _english_choice(lower)  # "deportible"
            if english is not None:
                corrections.append(Correction(original=word, corrected=english))
                return english
            return word
        first = match.start() == 0 or question[: match.start()].rstrip().endswith((".", "?", "!", ","))
        # The nearest word; among equals, a question word at the start of a question, one that keeps the first letter
        # (typos rarely change it), one not shorter than the typo (a dropped letter is the commonest slip), the commonest.
        best = min(found, key=lambda f: (f[1], not (first and f[0] in INTERROGATIVES), f[0][0] != lower[0],
                                         len(f[0]) < len(lower), not _omitted(lower, f[0]), -counts.get(f[0], 0)))
        candidate = best[0]
        own, theirs = counts.get(lower, 0), counts.get(candidate, 0)
        if not own and best[1] > 1:  # no word at all, and two edits from the corpus: a common English word one edit away
            english = _english_choice(lower)  # is the likelier slip ("alowed" is "allowed", not "alone")
            if english is not None:
                corrections.append(Correction(original=word, corrected=english))
                return english
        if own >= COMMON or own and (theirs < COMMONER * own or best[1] > 1 or not _one_letter_apart(lower, candidate)):
            # A real word in its own right: "bread" is not a misspelled "break", nor "bake" a misspelled "take". A real
            # word is taken for a typo only when it is a far commoner word with one letter left out or put in ("wat",
            # "mater", "boarder"): a changed letter makes another word, not a slip.
            return word
        corrections.append(Correction(original=word, corrected=candidate))
        return candidate

    corrected = _WORD.sub(fix, question)
    return corrected, corrections


def _nearest_name(word: str, names: frozenset[str]) -> str | None:
    """The only name of the corpus one edit from ``word`` (None when none or several are)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    if len(word) < 4 or not names:
        return None
    found = process.extract(word, sorted(names), scorer=OSA.distance, score_cutoff=1, limit=3)
    return found[0][0] if len(found) == 1 else None


ENGLISH_COMMON = 20_000
"""English words at least this common are candidates for a typo two edits from every word of the corpus."""


@lru_cache(maxsize=1)
def _common_english() -> list[str]:
    return sorted(w for w, n in english_counts().items() if n >= ENGLISH_COMMON and len(w) >= 3)


def load_english() -> None:
    """Read the English word counts and sort the common words now (about 25 ms), not in the first misspelled question."""
    _common_english()


def _english_choice(typo: str) -> str | None:
    """The commonest English word one edit from ``typo`` that keeps its first letter (None when there is none)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    counts = english_counts()
    found = [w for w, _, _ in process.extract(typo, _common_english(), scorer=OSA.distance, score_cutoff=1, limit=8)
             if w[0] == typo[0]]
    return max(found, key=lambda w: counts.get(w, 0)) if found else None


def _one_letter_apart(a: str, b: str) -> bool:
    """Whether one of the words is the other with a single letter left out."""
    return abs(len(a) - len(b)) == 1 and (_omitted(a, b) if len(a) < len(b) else _omitted(b, a))


def _omitted(typo: str, word: str) -> bool:
    """Whether ``typo`` is ``word`` with letters left out (its letters appear in ``word`` in order)."""
    letters = iter(word)
    return all(ch in letters for ch in typo)
