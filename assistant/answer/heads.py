"""The noun a question asks for by name: "What reasoning did the court give?" asks for reasoning.

A what/which question names what it wants in the noun phrase after its question word. Whether
the passages nearest it hold that noun (``answerability.unspoken_head``) tells an account that
names the court, the justice or the memo from one that holds what was asked of them. The
frame's own nouns (a date, a name, a court, a factor, a result) are read by other checks.
"""

from __future__ import annotations

import re

_AUX = frozenset("""do does did is are was were be been can could should would will may might must has have had shall
that which who whom whose when where why how if whether to of in on at for from by with about under into than as
and or but so then the a an""".split())
_HEAD_WH = re.compile(
    r"^\s*(?:so\s+|and\s+|but\s+)?(?:what|which)\s+(?:(?:kinds?|types?|sorts?|forms?) of\s+)?(?P<np>[a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3})", re.I)
_HEAD_COPULA = re.compile(
    r"^\s*(?:so\s+|and\s+|but\s+)?(?:what|which)\s+(?:is|was|are|were)\s+(?:(?:the|a|an|his|her|its|their|this|that)\s+|"
    r"(?:[\w.-]+\s+){0,3}?[\w.-]+'s\s+)(?P<np>[a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3})", re.I)
FRAME_HEADS = frozenset("""
date dates day days year years month months time times deadline name names number numbers amount amounts percentage
person persons people official officials judge judges justice justices court courts agency agencies office offices
department departments document documents memo memos memorandum memoranda guideline guidelines case cases state states
law laws rule rules lawsuit lawsuits order orders circuit policy policies kind kinds type types sort sorts thing things
way ways part parts role difference differences purpose point happen happened change changes priority priorities factor
factors category categories group groups one ones anything something everything lot lots bit first second third last next
count counts weigh weighs work works go goes happen happens matter matters help helps hurt hurts other others status
result results outcome outcomes effect effects impact consequence consequences upshot meaning significance situation
story background history gist idea goal goals aim aims reason reasons basis ruling rulings decision decisions holding
conclusion message takeaway summary content contents text wording language provision provisions section sections
""".split())
"""Nouns a wh-question asks with, not for: a date, a name, a court, a kind of thing (the fact kinds and the
guidelines' own vocabulary of lists), which the fact and list checks read instead, and what any account of an
event or a text gives (its result, its reason, its holding, its wording)."""


def load_lexicon() -> None:
    """Read lemminflect's lemma and inflection tables now (about 0.45 s), not in the first question that needs them."""
    from lemminflect import getAllInflections, getAllLemmas

    getAllLemmas("reasoning")
    getAllInflections("reason")


def asked_head(clause: str) -> str | None:
    """The noun a what/which question asks for by name ("What reasoning did the court give?": reasoning; "What was
    the title of the memo?": title; "What was Justice Alito's main argument?": argument), or None.

    The head is the last word of the noun phrase after the question word (up to an auxiliary, a preposition or a
    verb following a noun), when that word can be a noun; the frame's own words (a date, a name, a court, a kind
    of thing, a factor or a priority) are no head: other checks read those.
    """
    from lemminflect import getAllLemmas

    m = _HEAD_COPULA.match(clause) or _HEAD_WH.match(clause)
    if m is None:
        return None
    head = None
    words = m.group("np").lower().split()
    if len(words) > 1 and words[1] not in _AUX and _verb_form(words[0]):
        return None  # "What stops ICE from ...?", "What makes someone a priority?": what is the subject of a verb
    phrase = words[: next((i for i, w in enumerate(words) if w in _AUX), len(words))]
    if any(w in FRAME_HEADS or w[:-1] in FRAME_HEADS for w in phrase[1:]):
        return None  # "what is the border security cut off date": a date, whatever nouns come first
    for word in words:
        if word in _AUX:
            break
        if word in FRAME_HEADS or word[:-1] in FRAME_HEADS:  # "mitigating factors": a noun of the frame, whatever else
            head = word
            continue
        lemmas = getAllLemmas(word)
        noun = not lemmas or bool(lemmas.get("NOUN") or lemmas.get("PROPN")) or word.endswith("ing")  # a gerund: "reasoning"
        if head is not None and lemmas.get("VERB") and not word.endswith("ing"):
            break  # "which federal agency takes custody": the verb after the noun ends the phrase
        if noun:
            head = word
        elif head is not None:
            break
    if head is None or len(head) < 4 or head in FRAME_HEADS or head[:-1] in FRAME_HEADS:
        return None
    return head


def _verb_form(word: str) -> bool:
    """Whether ``word`` is a verb's third-person form ("stops", "makes", "puts")."""
    from lemminflect import getAllLemmas

    verbs = getAllLemmas(word).get("VERB", ())
    return word.endswith("s") and any(word in (v + "s", v + "es") for v in verbs)
