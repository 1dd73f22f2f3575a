"""Answerability: whether the retrieved units can answer the kind of ask, whatever the topic words match.

Each unit of the corpus declares, in the manifest's ``answers``, which kinds of ask it answers
and which facts it states (dates, names, documents, courts, numbers, places). A procedure, an
amount (a fee, a duration, a penalty, a form) or a definition from other law is refused when no
retrieved unit declares it (none does); a fact question needs a unit that states that kind of
fact; and an ask for something the corpus never names (its ask clause, not the context the
question sets up in the guidelines' own words, holds words the corpus never uses, weighed by how
rare they are in English) is refused too: "visiting hours", "overtime rate", "DACA renewal".
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from assistant.corpus.manifest import GUIDELINES_ID
from assistant.corpus.words import tokenize
from assistant.types import AskReading, UnitAnswers, Understood

from .retrieve import ScoredPassage
from .understand import asks_after_history, clause_of, is_polar, list_group_name

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index.load import Index

NEEDED_FACT = {"when": ("date",), "duration": ("date",), "who": ("name",), "which": ("court", "document", "name"),
               "how_many": ("number",), "where": ("place",)}
"""The facts a unit must state to answer each kind of fact question."""
REFUSED_ASKS = {
    "procedure": "it asks how to do something; the guidelines give no procedure, application or how-to",
    "amount": "it asks for a fee, form, deadline, duration, penalty or count; the guidelines set none",
    "definition": "it asks what another law or authority says; the guidelines do not restate other law",
}
ALWAYS_REFUSED = tuple(REFUSED_ASKS)
_ASK_GENERIC = frozenset(tokenize(
    "guideline guidelines memo memorandum dhs ice department homeland security immigration enforcement 2021 mayorkas "
    "say says said tell explain know mean matter count counts consider considered factor factors help weigh "
    "person someone people client noncitizen officer officers agent agents"))


def declared(index: Index, anchor: str | None, doc_id: str) -> UnitAnswers:
    """What a unit declares it answers (its document's default when the unit is not listed)."""
    meta = index.metas.get(doc_id)
    if meta is None:
        return UnitAnswers(asks=["says", "counts"])
    return meta.answers.get(anchor or "", meta.answers.get("default", UnitAnswers(asks=["says", "counts", "assessment"])))


_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?")
_FREQUENT = 2e8
"""English words this frequent (symspellpy's counts) weigh nothing as unfamiliar words; rarer ones weigh log10(this / count)."""
UNFAMILIAR_KINDS = ("says", "list", "fact")
"""Kinds of ask whose object is named by its words: an ask for something the corpus never names is not answered.
Whether something counts, how an assessment works, the status and comparisons are answered by what the guidelines say."""


def _count(word: str, counts: dict[str, int]) -> int:
    forms = [word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("ed") else "",
             word[:-1] if word.endswith("ed") else "", word[:-3] if word.endswith("ing") else "", word[:-3] + "e" if word.endswith("ing") else ""]
    return max((counts.get(f, 0) for f in forms if f), default=0)


GENERIC_NOUNS = frozenset("""
thing things kind kinds type types sort sorts way ways lot lots part parts one ones anything something everything
nothing anyone everyone anybody everybody toward towards bit first second third last next difference differences
guidance advice instruction instructions direction directions
""".split())
"""Nouns that name no subject of their own (grammar, not topics: indefinites, ordinals, the frame of a comparison,
what any text gives: "what guidance does the memo give on age" asks about age):
counted neither for nor against an ask."""


def _ask_words(index: Index, clause: str, skip: str) -> list[str]:
    """The words of the ask that could name what is asked about: the question's frame, the guidelines'
    names, dates named in ``skip``, manner adverbs and everyday grammar left out."""
    from .spelling import QUESTION_WORDS

    skipped = set(_WORD.findall(skip.lower()))
    out = []
    for raw in dict.fromkeys(_WORD.findall(clause.lower().replace("-", " "))):
        if "'" in raw and not raw.endswith("'s"):
            continue  # a contraction: didn't, can't
        word = raw[:-2] if raw.endswith("'s") else raw
        tokens = tokenize(word)
        if (len(word) < 3 or word.isdigit() or word in skipped or word.endswith("ly") or not tokens or word in QUESTION_WORDS
                or word in GENERIC_NOUNS or tokens[0] in _ASK_GENERIC):
            continue
        out.append(word)
    return out


def _known(index: Index, word: str) -> bool:
    """Whether the corpus uses ``word`` in some form (the word, its stem, a longer word sharing its first six letters)."""
    return word in index.words() or tokenize(word)[0] in index.vocabulary or (len(word) >= 7 and word[:6] in index.word_prefixes)


def unfamiliar(index: Index, clause: str, skip: str = "") -> list[tuple[str, float]]:
    """The words of the ask the corpus never uses (in any form), each weighed by how rare it is in English.

    Manner adverbs (-ly) and words that can only be verbs, adjectives or adverbs (by lemminflect's
    lexicon) are left out: they say how, not what, is asked.

    "visiting hours", "overtime", "eviction", "DACA renewal": what is asked for is something the
    guidelines never name. Words of the question's own frame (question words, the guidelines'
    names, dates named in ``skip``) and everyday words ("make", "put", "anything") weigh nothing.
    """
    counts = _english()
    out = []
    verbs = _verbs_of(clause)
    for word in _ask_words(index, clause, skip):
        if _known(index, word) or word in verbs or not _names_a_thing(word, index):
            continue
        weight = math.log10(_FREQUENT / max(_count(word, counts), 1e5))
        if weight > 0:
            out.append((word, round(weight, 2)))
    return out


def subject_nouns(index: Index, clause: str, skip: str = "") -> tuple[list[str], list[str]]:
    """The nouns naming what the ask is about, split into those the corpus uses and those it never uses.

    "What is the history of the French Revolution?": history is used, french and revolution never;
    "Who won the 2022 World Cup final?": final is used, world and cup never. How common a word is
    in English does not matter here (unlike :func:`unfamiliar`): an ask mostly about things the
    guidelines never name is not about the guidelines.
    """
    known, unknown = [], []
    verbs = _verbs_of(clause)
    for word in _ask_words(index, clause, skip):
        if word in verbs:
            continue
        if _known(index, word):
            if _can_be_noun(word):
                known.append(word)
        elif _names_a_thing(word, index):
            unknown.append(word)
    return known, unknown


def _english() -> dict[str, int]:
    from .spelling import english_counts

    return english_counts()


def _can_be_noun(word: str) -> bool:
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word)
    return not lemmas or bool(lemmas.get("NOUN") or lemmas.get("PROPN"))


def _names_a_thing(word: str, index: Index) -> bool:
    """Whether ``word`` can name what is asked for: a noun (or a word no English lexicon knows, such as
    "DACA"), whose lemma the corpus does not use. A word that is only a verb, an adjective or an
    adverb ("carries", "forbid", "meant") says what is done or how, not what is asked for.
    """
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word)
    if not lemmas:
        return True
    nouns = lemmas.get("NOUN", ()) + lemmas.get("PROPN", ())
    if not nouns:
        return False
    return not any((tokenize(n) or [""])[0] in index.vocabulary for n in nouns)


_SUBJECT_VERB = re.compile(r"\b(?:ice|dhs|cbp|uscis|he|she|it|they|someone|somebody|officers?|agents?|who)\s+"
                           r"(?:still\s+|also\s+|ever\s+|then\s+)?([a-z]+(?:s|ed))\b", re.I)
"""A word right after its subject ("ICE keeps", "someone kept") is its verb, whatever noun the lexicon also knows."""


def _verbs_of(clause: str) -> set[str]:
    """The words of the clause that follow their subject ("whether ICE keeps someone": keeps)."""
    return {m.group(1).lower() for m in _SUBJECT_VERB.finditer(clause)}


def unfamiliar_words(index: Index, frame: Understood) -> list[tuple[str, float]]:
    """The unfamiliar words of the frame's ask clause (dates it names excluded)."""
    return unfamiliar(index, clause_of(frame), " ".join(d.text for d in frame.dates))


def unknown_subject(index: Index, settings: Settings, frame: Understood) -> bool:
    """Whether most of what the frame's ask names is never named by the corpus (at least ``answer.unknown_min``
    such nouns, and at least ``answer.unknown_share`` of the ask's nouns). One unknown word alone is not enough:
    it is as often a verb the lexicon also lists as a noun ("meant to guide") or a person ("their lawyer")."""
    known, unknown = subject_nouns(index, clause_of(frame), " ".join(d.text for d in frame.dates))
    return len(unknown) >= settings.answer.unknown_min and len(unknown) / (len(known) + len(unknown)) >= settings.answer.unknown_share


_WHY = re.compile(r"^\s*(why|how come)\b", re.I)
"""A reason asked ("why doesn't DHS deport everyone?") is answered by the memo's own reasons, whatever the model reads;
so is a yes/no question whether something counts ("Is that considered?"): the guidelines' own kind of question."""


def _model_can_matter(frame: Understood) -> bool:
    """Whether the ask model's reading could change the answer: not for a status, a comparison, a case, a premise
    (taken for granted or asked about), nor for the guidelines' own kinds of question (a why-question, a yes/no
    "does it count" question, a named list). ``read_ask`` consults the model only where this holds, so a reading
    in the frame is one ``unanswerable`` may act on."""
    if frame.ask in ("status", "comparison") or frame.case_question or frame.premise or frame.premise_asked:
        return False
    clause = clause_of(frame)
    return not (_WHY.match(clause) or (frame.ask == "counts" and is_polar(clause))
                or (frame.ask == "list" and list_group_name(clause) is not None))


def read_ask(index: Index, frame: Understood, vector: list[float] | None) -> AskReading | None:
    """The ask model's reading of a question (None where it is not consulted: a status, a comparison, a case,
    a premise, a why-question, a yes/no "does it count" question, a named list, or an index built by another
    embedding model than the model's)."""
    from .askmodel import ask_model_for

    if vector is None or not _model_can_matter(frame):
        return None
    clause = clause_of(frame)
    model = ask_model_for(index.embedder.model_id)
    if model is None:
        return None
    if clause.strip() != frame.searched_for.strip():  # "The memo treats age as a factor. Which agency takes custody ...?"
        vector = index.embedder.embed_query(clause)  # the ask alone, not the setup in the guidelines' words
    kind, probability = model.read(vector)
    return AskReading(kind=kind, probability=round(probability, 3))


def _spoken_of(index: Index, frame: Understood, top: list[ScoredPassage]) -> bool:
    """Whether the best passage speaks of every noun the ask names (in its text or its plain-word aliases).

    The ask model reads the form of a question, not whether the guidelines hold its answer: "Who is
    allowed to ask for a case review?" reads like an eligibility rule of some agency, and the case
    review passage says who may ask. When the best passage names everything the ask names, its
    answer is the passage's, whatever the form.
    """
    if not top:
        return False
    nouns = [w for w in _ask_words(index, clause_of(frame), " ".join(d.text for d in frame.dates)) if _can_be_noun(w)]
    tokens = index.passage_tokens.get(top[0].passage.id, frozenset())
    return bool(nouns) and all(_holds(tokens, w) for w in nouns)


def _holds(tokens: frozenset[str], word: str) -> bool:
    """Whether a passage's tokens hold ``word`` in some form ("close" in "closes", "apply" in "applied")."""
    if (tokenize(word) or [""])[0] in tokens:
        return True
    stem = word[: max(4, len(word) - 2)]
    return len(word) >= 4 and any(t.startswith(stem) for t in tokens)


_WH_NAMING = re.compile(r"^\s*(what|which|who|whom|whose|where|when)\b(?!\s+(about|if|abt)\b)", re.I)
"""A question that asks for a thing by name; "what about X?" and "what if X?" ask how X fares, not what X is."""


def _only_noun(word: str) -> bool:
    """Whether ``word`` can only name a thing (a noun, or a word no lexicon knows), never a verb or an adjective."""
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word)
    return not lemmas or (bool(lemmas.get("NOUN") or lemmas.get("PROPN")) and not lemmas.get("VERB") and not lemmas.get("ADJ"))


def unspoken_nouns(index: Index, frame: Understood, top: list[ScoredPassage]) -> list[str]:
    """The things a wh-question names, when none of them is spoken of by the passages nearest it (else nothing).

    "What does that enhancement require?", "Which federal agency takes custody of a 14-year-old?":
    the nearest passages share the question's setting, not what it asks about. Only a says or
    fact question opening with what, which, who, where or when, and only words that can be
    nothing but nouns, are read: a yes/no question is answered by what the guidelines say of
    its subject, and a verb ("take", "run") names no thing.
    """
    clause = clause_of(frame)
    if frame.ask not in ("says", "fact") or not _WH_NAMING.match(clause) or not top:
        return []
    nouns = [w for w in _ask_words(index, clause, " ".join(d.text for d in frame.dates)) if _only_noun(w)]
    tokens = frozenset().union(*(index.passage_tokens.get(r.passage.id, frozenset()) for r in top))
    return [] if any(_holds(tokens, w) for w in nouns) else nouns


def _near(top: list[ScoredPassage], n: int) -> list[ScoredPassage]:
    """The passages a question's nouns are looked for in: the best one, and the next ``n - 1`` while they are all
    units of the memo itself. People paraphrase the memo, and the best unit for a paraphrase is often second; an
    account of what others did (the history, a user's document) is read literally, in the best passage alone."""
    near = top[:1]
    for r in top[1:n]:
        if r.passage.doc_id != GUIDELINES_ID or near[-1].passage.doc_id != GUIDELINES_ID:
            break
        near.append(r)
    return near


HEAD_KINDS = ("says", "fact", "list", "counts", "assessment")
"""Kinds of ask whose head noun names what is asked for ("What reasoning did the court give?", which reads as
"counts" by its "against"): all but the status and a comparison, which the history and the comparison check read."""


def unspoken_head(index: Index, frame: Understood, top: list[ScoredPassage]) -> str | None:
    """The noun the question asks for by name when none of the passages nearest it speaks of it (else None).

    "What reasoning did the Sixth Circuit give?", "What was Justice Alito's main argument?", "What was the
    title of the ICE memo?": the nearest passages name the court, the justice or the memo (so the topic
    matches) but hold no reasoning, argument or title. A named list ("which mitigating factors") is read
    by the list check instead. The memo's own units are read generously, since people paraphrase what it
    says: when the nearest is one of them and the memo uses the word anywhere ("What protections does the
    memo give for civil rights?"), the head is not asked of the nearest passages; accounts of what others
    did (the history, a user's document) are read literally.
    """
    head = frame.asked_for
    if head is None or frame.ask not in HEAD_KINDS or not top or (frame.ask == "list" and list_group_name(clause_of(frame))):
        return None
    if top[0].passage.doc_id == GUIDELINES_ID and _speaks_of(index.doc_tokens(GUIDELINES_ID), head):
        return None  # the memo's own words are paraphrased freely ("what protections for civil rights"): read generously
    tokens = frozenset().union(*(index.passage_tokens.get(r.passage.id, frozenset()) for r in top))
    return None if _speaks_of(tokens, head) else head


def _speaks_of(tokens: frozenset[str], word: str) -> bool:
    """Whether tokens hold ``word`` in some form: an inflection of its lemma, or its root."""
    return any(_holds(tokens, form) for form in word_forms(word)) or _shares_root(tokens, word)


def _shares_root(tokens: frozenset[str], word: str) -> bool:
    """Whether a token shares the first six letters of a word of seven or more ("protections" and "protected",
    "assessment" and "assessing"): the same root in another part of speech."""
    return len(word) >= 7 and any(t[:6] == word[:6] for t in tokens)


def word_forms(word: str) -> list[str]:
    """``word`` and every inflection of its lemmas ("holding": hold, holds, held; "courts": court), so that an
    irregular form in a passage ("held") speaks of the word asked with ("holding")."""
    from lemminflect import getAllInflections, getAllLemmas

    forms = [word]
    for lemmas in getAllLemmas(word).values():
        for lemma in lemmas:
            forms.append(lemma)
            forms += [f for fs in getAllInflections(lemma).values() for f in fs]
    return list(dict.fromkeys(forms))


def unanswerable(index: Index, settings: Settings, frame: Understood, results: list[ScoredPassage]) -> str | None:
    """Why no retrieved unit can answer the frame's ask (None when one can)."""
    if frame.case_question or frame.premise:
        return None  # answered with the case-by-case rule or the correction
    clause = clause_of(frame)
    if frame.ask not in ("status", "comparison") and asks_after_history(clause, any(d.now for d in frame.dates)):
        return "it asks about enforcement after the guidelines were set aside; the corpus does not say what replaced them"
    listed = frame.ask == "list" and list_group_name(clause_of(frame)) is not None
    if ((frame.ask in UNFAMILIAR_KINDS and not listed) or frame.number_ask) and not _WHY.match(clause_of(frame)):
        if sum(w for _, w in unfamiliar_words(index, frame)) >= settings.answer.unfamiliar_max or unknown_subject(index, settings, frame):
            return "it asks about something the guidelines never name"
    top = results[: settings.answer.answerability_top]
    units = [declared(index, r.passage.anchor, r.passage.doc_id) for r in top]
    if frame.ask in ALWAYS_REFUSED and not frame.number_ask and not any(frame.ask in u.asks for u in units):
        return REFUSED_ASKS[frame.ask]
    reading = frame.ask_model
    if (reading is not None and _model_can_matter(frame)  # a reading exists only where it can matter (read_ask)
            and settings.answer.ask_model_min < 1.0 and reading.probability >= settings.answer.ask_model_min
            and (frame.ask not in ALWAYS_REFUSED or frame.number_ask)
            and not any(reading.kind in u.asks for u in units) and not _spoken_of(index, frame, top)
            and top and top[0].passage.doc_id in index.bundled_ids()):  # a user's document may hold procedures
        return f"{REFUSED_ASKS[reading.kind]} (as the ask model reads it, p = {reading.probability:.2f})"
    if frame.number_ask:
        return None  # answered with the factor and the sentence that the guidelines set no number
    missing = unspoken_nouns(index, frame, _near(top, settings.answer.head_top))
    if missing:
        return f"the passage nearest it does not speak of {', '.join(missing)}"
    head = unspoken_head(index, frame, _near(top, settings.answer.head_top))
    if head is not None:
        return f"the passages nearest it do not speak of what it asks for ({head})"
    if frame.ask == "fact":
        needed = NEEDED_FACT.get(frame.fact or "", ())
        if needed and not any(set(needed) & set(u.facts) and "fact" in u.asks for u in units):
            return f"no passage states the {frame.fact.replace('_', ' ')} asked for"
    if frame.ask == "comparison" and not any("comparison" in u.asks for u in units):
        return "the guidelines make no such comparison"
    return None
