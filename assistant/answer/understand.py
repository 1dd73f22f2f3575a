"""Question understanding: a question turned into a typed frame before anything is retrieved.

The frame (``types.Understood``) says what is asked (``ask``: whether something counts, what the
guidelines say, a list, a fact, how an assessment is made, a procedure, an amount, a definition
from other law, the status on a date, a comparison), which fact a fact question wants, the topic
and focus words, the dates named, the premise taken for granted, the spelling corrections, the
parts of a multi-part question, and whether it is a case typed as a question or asks for a
number the guidelines do not set. The kinds of ask are recognised by closed-class cues ("how do
I", "what form", "how much", "how long", "under the INA"), which carry across topics: the topic
words of a question never decide its kind. Whether a retrieved unit can answer that kind is the
manifest's declaration (``answerability``), not a list of topics.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from assistant.corpus.words import tokenize
from assistant.types import AskKind, StatusEvent, Understood

from .dates import dates_named
from .premises import Premises, asked_premise, dated_premise, find_premise
from .heads import asked_head
from .spelling import correct

# --- the kinds of ask (closed-class cues, checked in this order) ------------------------------------

_WHO = r"(?:i|we|you|my (?:client|son|daughter|husband|wife|partner|family|mother|father|brother|sister|cousin|friend|neighbou?r|employee)s?|a (?:person|noncitizen|client|family)|someone|somebody|people|one|an immigrant|immigrants)"
ASK_CUES: list[tuple[AskKind, str | None, re.Pattern[str]]] = [
    ("definition", None, re.compile(
        r"\b(under|in|by|according to) (the )?(ina|immigration and nationality act|federal (criminal )?law|state law|criminal law|"
        r"the (criminal|penal) code|the statute|statutes?|8 u\.?s\.?c\.?|section \d+|the regulations?|cfr|immigration law generally)\b"
        r"|\b(what|how|when) (does|do|did) (the )?(ina|immigration and nationality act|statutes?|law|state law|federal law|criminal law|regulations?|cfr|"
        r"penal code|criminal code|sentencing guidelines|bia|board of immigration appeals|courts?) (say|define|consider|count|treat|classify|mean)\b"
        r"|\b(under|in|by|according to) (the )?(federal |state |u\.?s\.? )?(sentencing guidelines|criminal law|penal code|immigration law|labor law|tax law|"
        r"[a-z]+ (state )?law|regulations?|public charge rule)\b"
        r"|^\s*(under|in|according to) the (19\d\d|20[01]\d|202[02-9])\b.{0,50}\b(memo|memorandum|order|policy|guidance|priorities)\b"
        r"|\b(what|which) (\w+ ){0,3}(did|does) the (19\d\d|20[01]\d|202[02-9]) (\w+ ){0,3}(memo|memorandum|order|policy) (say|set|list|define|require|make)\b"
        r"|^\s*(is|are|was|were|would|will|can|could|does|do)\b(?!.*\b(count|matter|weigh|consider|factor|priorit)\w*\b).{0,80}"
        r"\b(eligible for|qualify for|qualifies for|disqualif\w*|ineligible|inadmissible|barred from)\b"
        r"|\b(the )?(state department|department of (state|labor|justice|education|health and human services)|uscis|fbi|irs|hhs|ssa|eoir|"
        r"dol|doj|cbp|bia)'s\b|\bunder (the )?(executive order|eo) \d{5}\b"
        r"|\b(legal|statutory) (definition|meaning)\b|\bdefined (in|by|under) (the )?(law|statute|ina|code)\b|\bunder (the )?law\b"
        r"|^\s*(does|do|did|would|will|can|could)\s+(the\s+)?(bia|board of immigration appeals|courts?|immigration (judges?|courts?)|uscis|eoir|"
        r"the (federal|state) courts?)\s+(treat|consider|count|classify|define|recogni[sz]e|view|regard)\b"
        r"|\b(the )?(definition|meaning) (of \w+ )?(in|under|from) the\b|\bas defined (in|by|under)\b", re.I)),
    ("amount", "form", re.compile(r"\b(which|what) (form|forms|paperwork|application)\b|\bform (i|g|n|eoir)?-?\d{1,4}\b|\bi-\d{2,3}\b"
                                  r"|\b(which|what) (kinds? of |types? of )?(documents?|papers|proof|evidence)\b.{0,50}"
                                  r"\b(accept\w*|submit\w*|bring|provide|prove|show)\b|\b(accepted|acceptable|counts?) as proof\b", re.I)),
    ("amount", "fee", re.compile(r"\bhow much (money|does (it|this|that|one) cost|is (it|the|a)\b|will (it|this) cost|do(es)? (i|we|they|you|he|she|my \w+) (have to )?(pay|owe|need))\b|\b(fees?|costs?|price|dollars?|\$\s?\d)\b|\bpay (for|to)\b"
                                 r"|\b(charges?|charging) (for|to|a fee|money|anything)\b|\bhow much\b.{0,30}\bcharge", re.I)),
    ("amount", "penalty", re.compile(r"\b(penalt(y|ies)|punish\w*|sanctions?|jail time|prison time|fined|fines)\b|\bwhat happens (to (an? )?(officer|agent)s?|if (an? )?(officer|agent))\b", re.I)),
    ("procedure", None, re.compile(
        rf"\bhow (do|can|could|should|would|might|does|did) {_WHO}\b(?! (know|tell)\b)|(^\s*|\b(tell|show|teach|explain to) (me|us) )how to\b|\b(steps?|process) (to|for) (apply|request|file|get|obtain|appeal|submit|report)\w*\b"
        rf"|\b(where|who) (do|can|could|should|would) {_WHO} (go|file|send|call|contact|apply|report|turn|ask|write|complain|submit)\b"
        rf"|\bwhat (do|should|must|can) {_WHO} (do|file|bring|submit|say|send|include|prepare)\b"
        r"|\bhow (do|does|can|could|would|should) (\w+ ){1,4}(get|obtain|apply|file|request|submit|register|renew|sponsor|petition|sign up|enroll|enlist|report)\b"
        r"|\b(apply|applying|application) for\b|\b(sign up|register) for\b|\b(template|sample|draft) (letter|request|motion|form)\b"
        r"|\bwhere (is|are) the (nearest|closest|local)\b|\b(phone number|address|email|hotline|website) (of|for)\b"
        r"|\b(email|e-mail|mailing|postal|street|web) address\b|\b(phone|fax|telephone) number\b"
        rf"|\bwhere (do|can|could|should|would) {_WHO} (find|get|read|see|download|obtain|access|look up)\b", re.I)),
    ("amount", "duration", re.compile(
        r"\bhow (long|soon|quickly|fast)\b|\b(deadline|time limit|timeframe|time frame|turnaround|waiting time)\b"
        r"|\bwithin how many\b|\bhow many (days|weeks|months|hours|business days)\b", re.I)),
    ("amount", "statistics", re.compile(
        r"\bhow many (\w+ ){0,2}(people|noncitizens|immigrants|persons|arrests|cases|deportations|removals|officers|agents|times|requests|employees|staff|judges|attorneys|detainees|beds)\b"
        r"|\b(what|which) (percentage|percent|share|proportion)\b|\bhow many\b.{0,60}\b(statistics|per year|each year|in (fiscal )?(year )?(19|20)\d\d)\b", re.I)),
]
_STRONG_LIST = re.compile(
    r"^\s*(what|which) (\w+ ){0,2}(factors|circumstances|considerations|safeguards|checks|priorities|things|kinds|types|groups|"
    r"categories|lawsuits|cases|memos|traits|characteristics|details|facts)\b(?! (is|was)\b)", re.I)
_LIST_WORDS = re.compile(
    r"\b(rattle off|enumerate|itemi[sz]e|run (me |us )?through|rundown|roll ?call|every single (one|thing|factor|item)|all of them"
    r"|each (and every )?(category|kind|type|group|factor|priority|safeguard|one of (the|them))"
    r"|the (whole|full|complete|entire) (list|set|rundown)|walk (me|us) through (each|every|all))\b", re.I)
"""Words that ask for a whole list however it is named ("rattle off every single thing", "the whole rundown")."""
_POLAR = re.compile(r"^\s*(do|does|did|is|are|was|were|can|could|should|would|will|may|might|must|had|has|have)\b", re.I)
_APPLY_STATUS = re.compile(r"\b(did|do|does|would|could) (the )?(guidelines|memo|they|policy|mayorkas memo) (still |even |really )?"
                           r"(apply|govern|control|bind)\b|\b(bound|governed) by (the )?(guidelines|memo|them|it)\b"
                           r"|\bthe rules? for\b", re.I)
_STATUS = re.compile(
    r"\b(in force|in effect|still (valid|apply|applies|in place|good|binding|used|followed|stand)|valid|still valid|rescinded|revoked|"
    r"repealed|vacated|enjoined|struck down|overturned|reinstated|blocked|status|still (use|follow|rely)|rely on (them|it|the guidelines)"
    r"|applied|applying|govern|governs|governed|governing|in place|back in effect|no longer)\b", re.I)
_COMPARISON = re.compile(
    r"\b(compar\w*|differ\w*|difference|versus|vs\.?|unlike|than the|changed from|instead of)\b.{0,80}\b(interim|pekoske|january 2021|"
    r"february 2021|2014|johnson memo|earlier (memo|guidance|priorities)|previous|old)\b"
    r"|\b(interim|pekoske|january 2021|february 2021|2014)\b.{0,80}\b(compar\w*|differ\w*|difference|versus|vs\.?|unlike)\b", re.I)
_LIST = re.compile(
    r"\b(does|do|did) (the )?(memo|guidelines|it|they) (list|name|enumerate|set out|spell out|give)\b"
    r"|\b(what|which) (\w+ ){1,2}(factors|circumstances|considerations|safeguards|priorities)\b"
    r"|^\s*(what|which) (are|were) (the|all|its|their)\b|\b(list|enumerate|name) (the|all|every|each)\b|\bwhat (factors|things|circumstances|"
    r"considerations|facts|kinds|types|sorts|categories|groups|priorities|safeguards|provisions)\b|\bwhich (factors|things|circumstances|"
    r"considerations|facts|kinds|types|categories|groups|priorities|safeguards|provisions)\b|\bwhat (counts|weighs|works|goes|speaks)\b"
    r"|\b(all|every one) of the (factors|priorities|safeguards)\b|\bwhat are (some|any)\b"
    r"|\b(the|a|full|complete) list of\b|^\s*(give|show|tell) (me|us)\b.{0,30}\b(factors|priorities|safeguards|list)\b"
    r"|^\s*(who|which) (are|were) the\b.{0,40}\bpriorities\b", re.I)
_FACT = [
    ("when", re.compile(r"^\s*(when|since when|until when)\b|\b(what|which) (date|day|year|month)\b|\bon what (date|day)\b|\bwhat time\b"
                        r"|^\s*(what|which)(?:'s| is| was)? the (\w+ ){0,4}(date|day|year|month)\b(?! (of|on|in) )", re.I)),
    ("who", re.compile(r"^\s*(who|whom|whose)\b(?! (counts|qualifies|is considered|would be|falls|fits|is treated|can be|is a|are)\b)"
                       r"|\bwhich (\w+ )?(official|officer|secretary|person|judge|justices?|people|agency|agencies|department|office)\b"
                       r"|\b(signed|addressed|written|issued|copied|sent) (it |them )?(by|to)\b|\bwho (signed|wrote|issued)\b", re.I)),
    ("which", re.compile(r"^\s*(which|what) (court|memo|memos|document|documents|executive orders?|case|circuit|judge|orders?|lawsuit|state|states)\b", re.I)),
    ("how_many", re.compile(r"\bhow many\b", re.I)),
    ("where", re.compile(r"^\s*where\b", re.I)),
]
_ASSESSMENT = re.compile(
    r"\bhow (is|are|do|does|did|should|would|will|can) (the |an? )?(officer|officers|ice|dhs|personnel|agents?|they|it|public safety|"
    r"a threat|the assessment|factors?|the guidelines|the memo|decisions?|threat)\b.{0,60}\b(assess\w*|decid\w*|determin\w*|weigh\w*|"
    r"evaluat\w*|judg\w*|balanc\w*|consider\w*|handle\w*|treat\w*|apply|applied|work)\b|\bwhat (standard|test|approach)\b|\bcase[- ]by[- ]case\b"
    r"|\bhow (is|are) .{0,40} (assessed|determined|decided|weighed|evaluated|judged)\b", re.I)
_COUNTS = re.compile(
    r"\b(matter|matters|count|counts|counted|help|helps|hurt|hurts|weigh|weighs|weighed|relevant|considered|consider|taken into account|"
    r"factor|difference(?! between)|affect|affects|play (a|any) (role|part)|protect|protects|protected (by|under|from)|favou?r|against|mitigat\w*|aggravat\w*|"
    r"outweigh\w*|treat\w*|held against|taken into account|reason to)\b", re.I)
_GROUPS = [
    ("mitigating", re.compile(r"\bmitigat\w*|\bin (his|her|their|the person'?s?|someone'?s|a person'?s|my client'?s?) favou?r\b|\bfavou?rable\b"
                              r"|\bfor (the person|leniency)\b|\b(help|helps|weigh\w* for|count\w* for|speak\w* for|works? for)\b|\bdeclin\w*\b|\breasons? not to\b"
                              r"|\b(leav\w*|let\w*) (someone|somebody|them|the person|him|her|people) (alone|be)\b|\btoward (leniency|leaving)\b", re.I)),
    ("aggravating", re.compile(r"\baggravat\w*|\bagainst (the person|him|her|them|someone|a person)\b|\b(count|weigh|work|speak)s? against\b"
                               r"|\bhurt\w*\b|\b(more likely|toward|towards|in favou?r of) (to )?(enforc\w*|deport\w*|remov\w*|arrest\w*|act\w*)\b"
                               r"|\bmore likely\b.{0,25}\b(act|enforc\w*|arrest\w*|remov\w*|deport\w*)\b", re.I)),
    ("priorities", re.compile(r"\bpriorit(y|ies|i[sz]e[sd]?|i[sz]ing)\b|\b(kinds?|types?|groups?|categor(y|ies)) of (people|noncitizens|immigrants|persons)\b|\bwho (does|do|should) (dhs|ice|the memo) (focus|target)\b", re.I)),
    ("implementation", re.compile(r"\bimplement\w*|\bsafeguards?\b|\b(checks|controls|oversight)\b|\b(training|supervision|data|case review)\b.{0,40}\b(and|,)\b", re.I)),
]
_CASE_SUBJECT = re.compile(r"\b(he|she|they|him|her|my client|my (husband|wife|son|daughter|brother|sister|father|mother|cousin|friend|neighbou?r|partner|uncle|aunt))\b", re.I)
_CASE_FACTS = re.compile(r"\b(came|entered|arrived|crossed|convicted|arrested|charged|dui|dwi|kids|children|child|years|overstayed|deported|"
                         r"sentenced|probation|citizen|married|lives|lived|works|worked)\b", re.I)
_CASE_ASK = re.compile(r"\b(is|are|would|will|could) (he|she|they|my client|my \w+) (be )?(a |an )?(enforcement )?priorit\w*\b"
                       r"|\b(will|would|can|could) (ice|dhs|they|officers?) (deport|remove|arrest|detain|pick up|go after)\b"
                       r"|\b(does|do|would|could|will) (he|she|they|my client|this person|that person) (count|qualify|fall|fit) (as|under|within|into|in)\b"
                       r"|\bwhat are (his|her|their|my client's) chances\b|\b(does|do) (he|she|they) (fall|fit|count)\b.{0,30}\bpriorit", re.I)
_NUMBER_ASK = re.compile(
    r"\bhow (old|young)\b|\b(what|which|at what) age\b|\bhow many (\w+ )?(years|months|convictions|offenses|offences|crimes|arrests|relatives|children|"
    r"family members|times|factors)\b|\b(dollar amount|amount of (damage|harm|money)|number of (convictions|years|offenses|victims))\b|\bhow long (do|does|must|has|have|should|would)\b.{0,40}\b(live|lived|be|been|stay|stayed|reside|resided|"
    r"serve|served|wait|passed|pass)\b|\b(minimum|maximum|threshold|cut-?off|number of years|how much time)\b|\bwhat counts as (elderly|old|"
    r"young|lengthy|long|serious|a long)\b|\bis there an? (age|number|minimum|limit)\b|\bhow (serious|long|severe|much harm)\b.{0,30}\b(enough|count)\b", re.I)
_REPORTED = re.compile(r"\b(did|were|was|are there|have there been|report\w*|fiscal|per year|each year|last year|in (19|20)\d\d|so far)\b", re.I)
"""A count asked of the world (arrests ICE reported), not a threshold a factor might set."""
_SPLIT = re.compile(
    r"(?:\?\s+|;\s*|,?\s+and also\s+|,\s+and\s+(?=(?:does|do|did|is|are|was|were|can|could|should|would|will|has|have|what|when|who|which|"
    r"how|where|why)\b)|\s+and\s+(?=(?:what|when|who|which|where|why|how)\s+(?:\w+\s+){0,2}?(?:is|are|was|were|does|do|did|can|could|should|would|will|has|have)\b)"
    r"|,\s+and\s+(?=(?:if|when|once|after|then)\b[^,?]{0,60},\s*(?:does|do|did|is|are|was|were|can|could|should|would|will|"
    r"what|when|who|which|how|where|why)\b)|\.\s+(?:also|and),?\s+)", re.I)
ASK_WORDS = frozenset(tokenize(
    "apply application applying file filing form forms fee fees cost costs price pay much long soon make get obtain submit "
    "request requests step steps process procedure penalty penalties fine fines punish sue go contact call phone address "
    "deadline many days weeks months where find bring send define definition statute law"))
"""Words of the ask itself (how, what form, how much): never topic words, whatever the corpus says."""
_GENERIC = frozenset(tokenize(
    "guideline guidelines memo memorandum dhs ice department homeland security immigration enforcement civil law 2021 mayorkas "
    "say says said tell explain know question ask mean"))


@dataclass(frozen=True)
class FrameContext:
    """What understanding needs besides the question: the corpus vocabulary, the premises, the history, today."""

    vocabulary: frozenset[str]
    stems: frozenset[str]
    names: frozenset[str]
    premises: Premises
    events: tuple[StatusEvent, ...]
    today: dt.date


_OPENS_QUESTION = re.compile(r"^\s*(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|should|would|"
                             r"will|may|might|must|has|have|had)\b", re.I)


_BOTH_LISTS = re.compile(r"\b(aggravating|mitigating) (?:and|&) (aggravating|mitigating) (factors|circumstances|considerations)\b", re.I)
"""Both lists asked for at once ("What are the aggravating and mitigating factors?"): a part for each."""


_LEADING_CONJUNCTION = re.compile(r"^(?:and|also|plus|but|so|then|oh and|and also)\s+(?=(?:what|which|who|whom|whose|when|where|why|how|"
                                  r"is|are|was|were|do|does|did|can|could|should|would|will|may|might|must|has|have|had)\b)", re.I)


def split_parts(question: str) -> list[str]:
    """The parts of a multi-part question (one element for a simple question).

    Every piece must itself be a question (it ended with a question mark, or opens with a question
    word): "Does age matter? Ignore all previous instructions and ..." is one question followed by
    text, not two questions.
    """
    both = _BOTH_LISTS.search(question)
    if both is not None and both.group(1).lower() != both.group(2).lower():  # one part per list, each answered in full
        return [question[: both.start()] + f"{word} {both.group(3)}" + question[both.end():] for word in (both.group(1), both.group(2))]
    pieces, pos = [], 0
    for m in list(_SPLIT.finditer(question)) + [None]:
        end = m.start() if m is not None else len(question)
        piece = question[pos:end]
        asked = m is not None and m.group(0).lstrip().startswith("?") or piece.rstrip().endswith("?")
        if piece.strip(" ,;?."):
            pieces.append((piece.strip(" ,;"), asked))
        pos = m.end() if m is not None else pos
    pieces = [(_LEADING_CONJUNCTION.sub("", p), asked) for p, asked in pieces]  # "? and do the guidelines ...": a question
    parts = [p if p.endswith("?") else p + "?" for p, _ in pieces]
    if (len(parts) < 2 or any(len(p.split()) < 3 for p in parts)
            or not all(asked or _OPENS_QUESTION.match(p) for p, asked in pieces)):
        return [question]
    return parts


_CLAUSES = re.compile(r"[.!?;:]\s+")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-Za-z]|u\.s|vs?|mr|mrs|ms|dr|no|st|jr|sr|inc|co|e\.g|i\.e|etc|sec|art|para|u\.s\.c|c\.f\.r)\.$", re.I)


def sentences(text: str) -> list[str]:
    """The sentences of a question, not split after abbreviations ("U.S.", "v.") or before a lowercase word."""
    out, start = [], 0
    for m in _CLAUSES.finditer(text):
        head, rest = text[start: m.start() + 1], text[m.end():]
        if m.group(0)[0] == "." and (_ABBREVIATION.search(head) or rest[:1].islower()):
            continue
        out.append(head.strip())
        start = m.end()
    out.append(text[start:].strip())
    return [p for p in out if p]
_WH_AFTER_COMMA = re.compile(r",\s+(?:so\s+|and\s+|but\s+|then\s+)?(?=(?:what|which|how|when|where|who|whom|is|are|was|were|does|do|did|can|could|"
                             r"would|will|should|may|must)\b)", re.I)


_CONFIRMATION = re.compile(r"^(is|was|are|were) (it|that|this|they|those)\b\s*\S*\s*\S*\s*\S*[?!.]*\s*$", re.I)
"""A short tag that offers an answer to the question before it ("..., is it nov 2020?"): that question is the ask."""


def ask_clause(question: str) -> str:
    """The clause that asks: the last sentence with a question mark, from its last wh- or yes/no opening after a comma.

    "The memo protects workers. What overtime rate must an employer pay?" asks for an overtime rate;
    "Once ICE detains someone as a priority, what are the visiting hours?" asks for visiting hours.
    """
    pieces = sentences(question)
    asked = [p for p in pieces if p.rstrip().endswith("?")]
    clause = asked[-1] if asked else question
    breaks = list(_WH_AFTER_COMMA.finditer(clause))
    tag = breaks and _CONFIRMATION.match(clause[breaks[-1].end():]) and re.match(r"^\s*(what|which|when|who|where|how)", clause, re.I)
    if breaks and len(clause[breaks[-1].end():].split()) >= 4 and not tag:
        clause = clause[breaks[-1].end():]
    return clause.strip()


def clause_of(frame: Understood) -> str:
    """The frame's ask clause (the whole question in a frame recorded before the clause was)."""
    return frame.ask_clause or frame.searched_for


def ask_kind(text: str) -> tuple[AskKind, str | None]:
    """The kind of ask and, for a fact or an amount, which fact or amount."""
    number = bool(_NUMBER_ASK.search(text))
    for kind, sub, cue in ASK_CUES:
        if cue.search(text):
            if kind == "amount" and (sub == "duration" and (number or _STATUS.search(text)) or sub == "fee" and number
                                     or sub == "statistics" and number and not _REPORTED.search(text)):
                continue  # "how long must someone have lived here" or "how long were they vacated": not an amount
            return kind, sub
    if _COMPARISON.search(text):
        return "comparison", None
    if _STRONG_LIST.search(text) or _LIST_WORDS.search(text):
        return "list", None
    if _FACT[0][1].search(text):
        return "fact", "when"  # "when did they start applying?": a date, not the status
    if (_STATUS.search(text) or _APPLY_STATUS.search(text)) and re.search(r"\b(guidelines|memo|them|they|it|policy|priorities)\b", text, re.I):
        return "status", None
    if _LIST.search(text) and not re.match(r"^\s*(what|which) (is|was)\b", text, re.I):
        return "list", None
    for fact, cue in _FACT:
        if cue.search(text):
            return "fact", fact
    if _ASSESSMENT.search(text):
        return "assessment", None
    if _COUNTS.search(text):
        return "counts", None
    return "says", None


_MEMO_SAYS = re.compile(r"\b(memo|memorandum|guidelines|mayorkas)\b.{0,20}\b(say|says|said|state|states|stated|mention\w*|estimate\w*|"
                        r"cite\w*|put|puts|give|gives)\b|\baccording to the (memo|guidelines)\b", re.I)
"""The count asked for is one the memo itself gives, not a statistic of the world."""
_NAMED_ACT = re.compile(r"\b(?:[Ii]n|[Uu]nder|[Bb]y|[Tt]hrough|[Oo]f|[Tt]he) (?:the )?((?:[A-Z][\w'-]*\s+(?:(?:with|of|for|and|on)\s+)?){1,6})(Act|Code|Convention)\b")


def _other_act(text: str, vocabulary: frozenset[str]) -> bool:
    """Whether the question asks under a named statute the corpus never names ("under the Federal Tort Claims Act",
    "in the Americans with Disabilities Act"); the Administrative Procedure Act, which the history names, is not other law."""
    for m in _NAMED_ACT.finditer(text):
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", m.group(1)) if w[0].isupper()]
        if any(w not in vocabulary for w in words):
            return True
    return False


_NEW_REGIME = re.compile(r"\bnew (enforcement )?(priorit\w*|polic(y|ies)|rules|guidelines|guidance|memos?)\b"
                         r"|\b(new|current|present|incoming) administration\b", re.I)
_ABOUT_THE_MEMO = re.compile(r"\b(guidelines|memo|memorandum|mayorkas|2021|they|them|it)\b", re.I)
_ENFORCEMENT_NOW = re.compile(r"\b(ice|dhs|cbp|enforcement|priorit\w*|administration|officers?|agents?|deport\w*|arrest\w*|"
                              r"remov\w*|polic(y|ies)|rules?|runs?|running|heads?|leads?|director|secretary|focus\w*|target\w*)\b", re.I)


def asks_after_history(clause: str, now_named: bool) -> bool:
    """Whether the ask is about enforcement as it stands now, or under the priorities that followed the guidelines
    ("what are DHS's new enforcement priorities?", "who is running ICE right now?"), not about the guidelines:
    the corpus's history ends with the guidelines set aside and says nothing of what replaced them. A yes/no
    question about now ("Can officers still consider age today?") is answered by what the guidelines said,
    with their status today."""
    if _ABOUT_THE_MEMO.search(clause):
        return False  # "what did the new administration's orders do to the guidelines?": the history tells
    return bool(_NEW_REGIME.search(clause)) or now_named and not is_polar(clause) and bool(_ENFORCEMENT_NOW.search(clause))


def is_polar(text: str) -> bool:
    """Whether ``text`` is a yes/no question ("Is that considered?", "Does age matter?")."""
    return bool(_POLAR.match(text))


def list_group_name(text: str) -> str | None:
    """Which list a list question asks for: mitigating, aggravating, priorities or implementation."""
    return next((name for name, cue in _GROUPS if cue.search(text)), None)


_PERSON_EVENT = re.compile(r"\b(crossed|entered|arrived|came|moved|immigrated|overstayed|convicted|sentenced|charged|pleaded|"
                           r"born|married|served)\b", re.I)
"""What a person did or underwent before any enforcement: its date is a fact of the case. The date of an arrest or a
pick-up is not among them: the guidelines' status on that day is what governed it."""


_ENFORCEMENT_ACT = re.compile(r"\b(arrested|detained|picked up|stopped|caught|apprehended|deported|removed|taken into custody)\b", re.I)


def is_case_date(text: str, date_text: str) -> bool:
    """Whether a date the question names dates something a person did ("crossed the border illegally in 2022"):
    a fact of the case, not the day whose status is asked."""
    at = text.find(date_text)
    if at < 0:
        return False
    before = text[max(0, at - 45): at]
    acts = [(m.end(), True) for m in _PERSON_EVENT.finditer(before)] + [(m.end(), False) for m in _ENFORCEMENT_ACT.finditer(before)]
    return bool(acts) and max(acts)[1]  # the nearest act dates it: "convicted in 2019 and arrested in March 2022"


def is_case_question(text: str) -> bool:
    """A case's facts typed as a question: a person, facts about them, and whether they are a priority."""
    facts = len(_CASE_FACTS.findall(text))
    return bool(_CASE_ASK.search(text) and _CASE_SUBJECT.search(text) and (facts >= 2 or re.search(r"\b(19|20)\d\d\b", text)))


def understand(question: str, ctx: FrameContext) -> Understood:
    """The frame of one question (its parts are understood when each is answered)."""
    searched, corrections = correct(question, ctx.vocabulary, ctx.names)
    parts = split_parts(searched)
    clause = ask_clause(searched)
    kind, sub = ask_kind(clause)
    if sub == "statistics" and _MEMO_SAYS.search(clause):
        kind, sub = "fact", "how_many"  # "how many removable noncitizens does the memo say live here?": the memo's own count
    if kind not in ("procedure", "amount", "definition") and (ASK_CUES[0][2].search(searched) or _other_act(searched, ctx.vocabulary)):
        kind, sub = "definition", None  # "Under the 2014 memo, which misdemeanors counted?": another authority's rule
    tokens = tokenize(searched)
    focus = [t for t in dict.fromkeys(tokens) if t not in _GENERIC and len(t) > 1]
    topic = [t for t in focus if t in ctx.stems and t not in ASK_WORDS]
    dates = dates_named(searched, ctx.events, ctx.today)
    premise = find_premise(searched, ctx.premises) or dated_premise(
        searched, [(d.text, d.start, d.end) for d in dates if not d.event and not d.now], ctx.premises)
    asked = None if premise else asked_premise(searched, ctx.premises)
    case = is_case_question(searched)
    number = (bool(_NUMBER_ASK.search(clause)) and kind not in ("procedure", "definition") and not case
              and not (sub == "statistics" and _REPORTED.search(clause)))
    fact = sub if kind == "fact" else ("duration" if sub == "duration" else ("how_many" if sub == "statistics" else None))
    if kind in ("says", "counts") and dates and not all(is_case_date(searched, d.text) for d in dates) and (_POLAR.match(clause) or re.search(
            r"\b(happen\w*|going on|the situation|the state of)\b", clause, re.I)) and re.search(
            r"\b(guidelines|memo|them|they|it|policy|priorities)\b", clause, re.I):
        kind = "status"  # "what happened to the guidelines in June 2022?", "were they the rules in 2024?"
    return Understood(
        question=question, searched_for=searched, ask_clause=clause, asked_for=asked_head(clause), ask=kind, fact=fact, topic=topic, focus=focus, dates=dates,
        premise=premise.id if premise else None, premise_text=premise.description if premise else None,
        premise_asked=asked.id if asked else None,
        corrections=corrections, parts=parts if len(parts) > 1 else [], case_question=case, number_ask=number,
    )
