"""Word tokens for lexical matching: BM25, word coverage and claim support all use this one tokenizer."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not of
    off on once only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours s t don i'm it's there's""".split()
)


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords, lightly stemmed (plural and -ing/-ed endings)."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


@lru_cache(maxsize=1 << 16)  # called for every word of every question and passage; the vocabulary is small
def stem(token: str) -> str:
    """A token with a plural or -ing/-ed ending taken off (a light, predictable stemmer)."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: -len(suffix)] + keep
    return token


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def words_of(texts: list[str]) -> frozenset[str]:
    """The lowercase words (unstemmed) of some texts: the vocabulary misspellings are corrected against."""
    return frozenset(w for t in texts for w in _WORD.findall(t.lower()))
