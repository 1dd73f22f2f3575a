"""Conversation: a follow-up question resolved against the earlier turns, deterministically, before it is answered.

A follow-up is rewritten into the standalone question that is then answered like any other (and
shown to the user as "Understood as: ..."). Four cases, tried in order:

- an ordinal ("the second one", "the last two", "number 3") picks items of the latest list answer;
- an ellipsis ("what about someone who served in the army?", "and for a crime witness?", "same
  question for 2024") keeps the earlier frame's ask with the new focus (or the new date);
- a pronoun or demonstrative ("when did that take effect?", "those factors", "ask for one")
  is replaced by the earlier question's most specific noun phrase;
- anything else is a complete question and keeps nothing (a topic shift).

When a follow-up points at something that is not there (an ordinal with no earlier list, "the other
one"), the answer is the fixed clarification sentence (``check.rules.CLARIFY``): the assistant
never answers a guess.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from assistant.check.rules import CLARIFY
from assistant.corpus.words import STOPWORDS, tokenize
from assistant.types import Answer

from .lists import LIST_GROUPS
from .present import transcript_markdown  # the export lives with the other renderings; kept importable here
from .understand import list_group_name

if TYPE_CHECKING:
    from assistant.corpus.passages import PassageSet

How = Literal["standalone", "ordinal", "ellipsis", "pronoun", "model", "unresolved"]
"""How a follow-up was read: by the rules, by a configured chat model's proposal, or not at all."""

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
             "9th": 9, "last": -1, "final": -1}
_COUNTS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_ITEM_NOUN = r"(?:ones?|factors?|items?|priorit(?:y|ies)|safeguards?|points?|categor(?:y|ies)|groups?|circumstances?)"
_ORD_WORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_SEVERAL = re.compile(rf"\b(?:the\s+)?(first|last|final)\s+(two|three|four|2|3|4)(?:\s+{_ITEM_NOUN})?\b", re.I)
_ONE = re.compile(rf"\b(?:the\s+)?({_ORD_WORD})\s+{_ITEM_NOUN}\b|\bthe\s+({_ORD_WORD})\b(?=\s*[,?.!]|\s*$)", re.I)
_NUMBER = re.compile(r"\b(?:number|no\.|item|#)\s*(\d{1,2})\b", re.I)
_OTHER = re.compile(r"\bthe other (?:one|factor|priority|item)\b", re.I)
_VAGUE = frozenset("other others thing things stuff one ones rest else same that this it those these them".split())
"""Words that point without naming: "and the other thing?" names nothing to answer about."""
_ELLIPSIS = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|well|right)[,.]?\s+)*(?:(?:and\s+)?(?:what|how)\s+about|and\s+(?:for|about|with|if)|"
    r"same\s+(?:question|thing)\s+(?:for|about|with|on)|what\s+if|and)\b[,:]?\s*(?P<rest>.*?)\s*[?.!]*\s*$", re.I)
_OPENS_QUESTION = re.compile(r"^\s*(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
                             r"should|would|will|may|might|must|has|have|had|tell|explain|list|give)\b", re.I)
_EXPLETIVE_IT = re.compile(r"\b(?:does|did|do|would|will|could|can)\s+it\s+(?:matter|count|help|hurt|make a difference|change anything)"
                           r"\s+(?:that|if|whether|when)\b|\b(?:is|was|would it be|isn'?t)\s+it\s+(?:true|possible|likely|legal|ok|okay|"
                           r"allowed|fair|right)\b|\bit\s+(?:is|was)\s+(?:true|possible|said|reported)\b", re.I)
_PREP = r"(?:about|for|of|with|from|on|in|to|after|before|by|under|against|over|into|during)"
_REFERENT = re.compile(
    rf"\b(?:those|these|that|this)\s+(?:factors?|rules?|priorit(?:y|ies)|safeguards?|cases?|decisions?|memos?|orders?|ones?|"
    rf"guidelines|lawsuits?|injunctions?|judgments?|rulings?)\b"
    rf"|\b(?:{_PREP})\s+(?:it|that|this|them|those|these)\b(?=\s*[,?.!]|\s*$|\s+(?:and|or|in|on|if|when)\b)"
    rf"|\b(?:did|does|do|was|is|were|will|would|can|could)\s+(?:that|this)\b"
    rf"|\b(?:did|does|do|was|is|were|will|would|can|could|has|had|have)\s+(?:it|they)\b"
    rf"|\b(?:replace|replaced|sign|signed|issue|issued|vacate|vacated|reverse|reversed|enforce|apply|prove|request|get|use|"
    rf"did|do|does|challenge|challenged|rescind|rescinded|stay|stayed|block|blocked|read|cite|follow|ignore|for|file)\s+"
    rf"(?:it|them|one|that)\b(?=\s*[,?.!]|\s*$)"
    rf"|\b[a-z]{{2,}}\s+(?:it|them)(?=\s*[?.!]*\s*$)"  # any verb's object at the end: "who ran it?", "who wrote them?"
    rf"|\b(?:get|got|have|had|make)\s+(?:it|that|this|them)\s+(?:\w+ed|done|taken|seen|redone|undone)\b"
    rf"|^\s*(?:that|this|it|they|those|these)\b", re.I)
_VERBS = frozenset("""
say says said cover covers covered provide provides provided happen happens happened sign signs signed decide decides
decided count counts counted weigh weighs weighed apply applies applied mean means meant list lists listed name names
named give gives gave take takes took make makes made ever there describe describes described define defines defined
include includes included consider considers considered matter matters help helps helped hurt hurts require requires
required tell tells told explain explains set sets issue issues issued replace replaces replaced vacate vacated
reverse reversed work works worked get gets got ask asks asked put puts go goes went come comes came think
please list anything something everything much many also still really
""".split())
_WH = frozenset("what who where when how why which that it there here".split())
_GENERIC = frozenset(tokenize("guideline guidelines memo memorandum dhs ice department homeland security policy "
                              "someone person people officer officers thing things"))
_KINDS = {"priority": "priority", "aggravating factor": "factor", "mitigating factor": "factor", "implementation": "safeguard"}


@dataclass(frozen=True)
class Resolution:
    """How a question was read in its conversation: the standalone question answered, and the turn it drew on."""

    question: str
    resolved: str
    context_turn: int | None = None
    how: How = "standalone"

    @property
    def unresolved(self) -> bool:
        """Whether the follow-up could not be resolved with confidence (then the clarification is the answer)."""
        return self.how == "unresolved"


@dataclass
class Conversation:
    """The turns of one conversation, oldest first (each the verified answer shown), and its id."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    turns: list[Answer] = field(default_factory=list)

    def add(self, answer: Answer) -> None:
        """Remember an answer as the conversation's latest turn."""
        self.turns.append(answer)

    def clear(self) -> None:
        """Start over: a new id and no turns."""
        self.id, self.turns = uuid.uuid4().hex, []


def resolve(question: str, turns: Sequence[Answer], source: PassageSet | None = None) -> Resolution:
    """The standalone question a follow-up asks, given the earlier turns.

    A first question resolves to itself, unless it points into a list that is not there ("the second one").
    """
    ordinal = _ordinal(question, turns, source)  # with no earlier list (or no earlier turn) it points at nothing
    if ordinal is not None:
        return ordinal
    if not turns:
        return Resolution(question, question)
    last = len(turns)
    previous = turns[-1]
    elliptic = _ELLIPSIS.match(question)
    if elliptic is not None:
        rest = elliptic["rest"].strip(" ,")
        if not rest:
            return Resolution(question, question, how="unresolved")
        if not [w for w in re.findall(r"[a-z0-9]+", rest.lower()) if w not in _VAGUE and w not in STOPWORDS]:
            return Resolution(question, question, how="unresolved")  # "and the other thing?": nothing named
        if _OPENS_QUESTION.match(rest):  # "And what does the memo say about X?": a complete question after "and"
            return Resolution(question, rest if rest.endswith("?") else rest + "?")
        return Resolution(question, _ellipsis(previous, rest), last, "ellipsis")
    if _EXPLETIVE_IT.search(question) and not _REFERENT.search(_EXPLETIVE_IT.sub(" ", question)):
        return Resolution(question, question)
    match = _REFERENT.search(question)
    if match is None:
        return Resolution(question, question)  # a complete question: a topic shift keeps nothing
    referent = _referent(previous, match.group(0), source)
    text = match.group(0)
    if re.match(r"\s*(?:those|these|that|this)\s+\w", text, re.I):  # a demonstrative phrase: "those factors"
        start, end = match.start() + len(text) - len(text.lstrip()), match.end()
    else:  # the pronoun itself
        word = list(re.finditer(r"\b(?:it|that|this|them|they|those|these|one)\b", text, re.I))[-1]
        start, end = match.start() + word.start(), match.start() + word.end()
    resolved = question[:start] + referent + question[end:]
    return Resolution(question, resolved, last, "pronoun")


def _ordinal(question: str, turns: Sequence[Answer], source: PassageSet | None) -> Resolution | None:
    """An ordinal against the latest list answer (None when the question has no ordinal)."""
    several, one, number = _SEVERAL.search(question), _ONE.search(question), _NUMBER.search(question)
    if not (several or one or number or _OTHER.search(question)):
        return None
    found = next(((n, items) for n, items in ((n, _list_items(t)) for n, t in reversed(list(enumerate(turns, 1)))) if items),
                 None)
    if found is None or _OTHER.search(question):
        return Resolution(question, question, how="unresolved")
    turn, items = found
    if several is not None:
        count = _COUNTS[several.group(2).lower()]
        chosen = items[:count] if several.group(1).lower() == "first" else items[-count:]
        span = several
    else:
        if one is not None:
            word = (one.group(1) or one.group(2)).lower()
            pos, span = _ORDINALS[word], one
        else:
            assert number is not None
            pos, span = int(number.group(1)), number
        if pos == 0 or pos > len(items):
            return Resolution(question, question, how="unresolved")
        chosen = [items[pos - 1 if pos > 0 else pos]]
    phrases = [_phrase(a, source) for a in chosen]
    if len(phrases) == 1:
        resolved = question[: span.start()] + phrases[0] + question[span.end():]
        if re.match(r"^\s*(?:and\s+)?(?:what|how)\s+about\b", resolved, re.I):
            resolved = f"What do the guidelines say about {phrases[0]}?"
    else:  # several items: one part each, so that every one is answered and cited
        resolved = " ".join(f"What do the guidelines say about {p}?" for p in phrases)
    return Resolution(question, resolved, turn, "ordinal")


def _list_items(answer: Answer) -> list[str]:
    """The anchors of a list answer's items, in the order shown (empty when the answer is not a list).

    Only the items of the list's own kind count: a workplace or tenant consideration shown after
    the nine mitigating factors is not "the last one" of them.
    """
    lines = answer.answer.splitlines()
    bullets = [int(m[1]) for line in lines if line.startswith("- ") and (m := re.search(r"\[(\d+)\]$", line))]
    cited = [answer.citations[n - 1] for n in bullets if 0 < n <= len(answer.citations)]
    kinds = [(c.label or "").partition(": ")[0].rsplit(", ", 1)[-1] for c in cited]
    main = max(set(kinds), key=kinds.count) if kinds else ""
    anchors = [c.anchor for c, k in zip(cited, kinds, strict=True) if c.anchor and k == main]
    return list(dict.fromkeys(anchors)) if len(anchors) >= 2 else []


def _phrase(anchor: str, source: PassageSet | None) -> str:
    """A unit named as a person would say it: "the threat to public safety priority", "the advanced or tender age factor"."""
    label = ""
    if source is not None:
        for meta in source.metas.values():
            if anchor in meta.anchors:
                label = meta.anchors[anchor]
                break
    kind, _, name = label.partition(": ")
    if not name:
        return f"the {label or anchor.split('.')[-1].replace('_', ' ')}"
    noun = _KINDS.get(kind, kind)
    return f"the {name} {noun}"


def _ellipsis(previous: Answer, rest: str) -> str:
    """The earlier question's ask with a new focus ``rest`` (or its date replaced by a new date)."""
    from .dates import dates_named

    frame = previous.understood
    base = previous.resolved_question or previous.question
    rest = re.sub(r"^(?:for|about|with|on)\s+", "", rest, flags=re.I).strip()
    if frame is not None and frame.dates:
        new = dates_named(rest, (), dt.date.today())
        if new:
            old = frame.dates[-1].text
            if old in base:
                return base.replace(old, new[0].text if new[0].text.lower().startswith(("in ", "on ")) else rest, 1)
    if frame is not None and frame.ask == "status":
        prefix = "" if re.match(r"^(in|on|at|by|during|after|before|since)\b", rest, re.I) else "in "
        return f"Were the guidelines in force {prefix}{rest}?"
    if frame is not None and frame.ask == "counts":
        weighs = re.search(r"\b(?:count|counts|matter|matters|weigh|weighs)\s+((?:in|against|for|toward|towards)\b[^?]*)", base, re.I)
        return f"Does {rest} count {weighs.group(1).strip() if weighs else 'under the guidelines'}?"
    phrase = topic_phrase(base)
    if phrase and phrase in base:  # the earlier question, its most specific phrase replaced by the new focus
        return base.replace(phrase, rest, 1)
    return f"What do the guidelines say about {rest}?"


def _referent(previous: Answer, pointer: str, source: PassageSet | None) -> str:
    """What a pronoun or demonstrative points at: the earlier question's most specific noun phrase, or the list it got."""
    frame = previous.understood
    if re.search(r"\b(?:these|those|the)\s+(?:rules?|guidelines|memos?)\b", pointer, re.I):
        return "the guidelines"
    plural_noun = re.search(r"\b(?:those|these)\s+(factors?|priorit(?:y|ies)|safeguards?)\b", pointer, re.I)
    if plural_noun is not None and frame is not None:
        group = list_group_name(frame.searched_for)
        named = {g.name: g for g in LIST_GROUPS}
        if group in named:
            return {"mitigating": "the mitigating factors", "aggravating": "the aggravating factors",
                    "priorities": "the enforcement priorities", "implementation": "the implementation safeguards"}.get(
                group, f"the {group}")
    phrase = topic_phrase(previous.resolved_question or previous.question, source)
    return phrase or "the guidelines"


def topic_phrase(question: str, source: PassageSet | None = None) -> str | None:
    """The most specific noun phrase of a question (by the corpus's word rarity), e.g. "the Texas lawsuit"."""
    idf = source.bm25.idf if source is not None and getattr(source, "bm25", None) is not None else {}
    runs: list[list[str]] = []
    current: list[str] = []
    for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9'.\-]*", question):
        lower = word.lower().rstrip(".")
        if lower in ("a", "an", "the"):
            if current:
                runs.append(current)
            current = [word]
        elif lower in STOPWORDS or lower in _VERBS or lower.endswith("'s") and lower[:-2] in STOPWORDS | _WH:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(word.rstrip("?") if not word.endswith(".") or len(word) <= 3 else word.rstrip("."))
    if current:
        runs.append(current)
    best, score = None, 0.0
    rarest = max(idf.values(), default=1.0)  # a word the corpus never uses is as specific as its rarest ("a fiddle leaf fig")
    for run in runs:
        tokens = [t for t in tokenize(" ".join(run)) if t not in _GENERIC]
        if not tokens:
            continue
        value = sum(idf.get(t, rarest) for t in tokens)
        if value > score:
            best, score = run, value
    if best is None:
        return None
    text = " ".join(best)
    return text if text.lower().startswith(("the ", "a ", "an ")) else text


def clarification(question: str) -> Answer:
    """The answer to a follow-up that could not be resolved: the fixed clarification, nothing cited."""
    return Answer(question=question, answer=CLARIFY, refused=True)


__all__ = ["Conversation", "Resolution", "clarification", "resolve", "topic_phrase", "transcript_markdown"]
