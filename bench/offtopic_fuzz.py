"""Off-topic questions nobody listed: generated from templates over everyday subjects; the refusal fuzz.

The subjects are ordinary life (cooking, sport, travel, money, health, homes, gadgets, pets,
school, hobbies) and never immigration: a question here must be refused, and none of its
subjects may be added to ``out_of_scope.yaml``, so the fuzz keeps measuring the mechanism rather
than a list. Deterministic: the same 200 questions on every run.

    .venv/bin/python bench/offtopic_fuzz.py [-n 200] [--json]
    .venv/bin/python bench/offtopic_fuzz.py --file bench/offtopic_fresh.txt   # the blind list

``bench/offtopic_fresh.txt`` holds 200 off-topic questions written by someone who never saw the
assistant or this generator (committed before the refusal it measures was built): a blind check
that the mechanism is not fitted to these templates.
"""

from __future__ import annotations

import random

NAMED = [  # the eight plainly off-topic questions of the trust-boundaries issue
    "How do I bake sourdough bread?",
    "Who won the 2022 World Cup final?",
    "What are the penalties for tax evasion?",
    "How do I get a residential parking permit?",
    "What is a good stretching routine for lower back pain?",
    "How do I change a flat tire on a bicycle?",
    "Which phone has the best camera this year?",
    "What time does the farmers market open on Saturday?",
]

THINGS = [
    "a sourdough starter", "a cast iron skillet", "a vegetable garden", "a gas grill", "an espresso machine",
    "a road bike", "a laptop battery", "a wireless router", "a vinyl record player", "a fish tank",
    "a wool sweater", "a leather couch", "a ceiling fan", "a lawn mower", "a sewing machine",
    "a chess opening", "a guitar amplifier", "a kayak", "a camping tent", "a snow blower",
]
DISHES = ["lasagna", "banana bread", "pad thai", "chicken soup", "beef stew", "pancakes", "guacamole", "ramen", "apple pie", "risotto"]
EVENTS = ["the Super Bowl", "the Tour de France", "the NBA finals", "Wimbledon", "the Kentucky Derby", "the Stanley Cup",
          "the Masters golf tournament", "the Boston Marathon", "the Rugby World Cup", "the Oscars"]
PLACES = ["Lisbon", "Kyoto", "the Grand Canyon", "Iceland", "Patagonia", "the Scottish Highlands", "Yellowstone", "Bali", "Prague", "Vancouver Island"]
SUBJECTS = ["photosynthesis", "compound interest", "the Pythagorean theorem", "black holes", "plate tectonics", "inflation",
            "the French Revolution", "machine learning", "the water cycle", "supply and demand"]
PETS = ["a puppy", "a kitten", "a parrot", "a rabbit", "a hamster", "a goldfish", "a tortoise", "a horse"]
MONEY = ["a mortgage", "a car loan", "a credit card balance", "a retirement account", "a savings bond", "a home insurance claim"]

TEMPLATES = [
    "How do I clean {thing}?", "What is the best way to store {thing}?", "How long does {thing} usually last?",
    "Where can I buy {thing} cheaply?", "How do I fix {thing} that stopped working?",
    "What is a good recipe for {dish}?", "How long should I cook {dish}?", "Can I freeze {dish}?",
    "Who won {event} last year?", "When does {event} take place?", "How many people watch {event}?",
    "What should I pack for a week in {place}?", "What is the weather like in {place} in spring?", "Is {place} worth visiting?",
    "Can you explain {subject} simply?", "Why does {subject} matter?", "What is the history of {subject}?",
    "How do I train {pet}?", "What should I feed {pet}?", "How often should {pet} see a vet?",
    "How do I pay off {money} faster?", "Should I refinance {money}?", "What fees come with {money}?",
]
SLOTS = {"thing": THINGS, "dish": DISHES, "event": EVENTS, "place": PLACES, "subject": SUBJECTS, "pet": PETS, "money": MONEY}


def subjects() -> list[str]:
    """Every subject the generated questions are about (none may be in out_of_scope.yaml)."""
    return [s for values in SLOTS.values() for s in values]


def generated(n: int = 200, seed: int = 2026) -> list[str]:
    """``n`` distinct off-topic questions, the same on every run."""
    rng = random.Random(seed)
    out: list[str] = []
    seen = set()
    while len(out) < n:
        template = rng.choice(TEMPLATES)
        slot = template[template.index("{") + 1: template.index("}")]
        question = template.format(**{slot: rng.choice(SLOTS[slot])})
        if question not in seen:
            seen.add(question)
            out.append(question)
    return out


def main() -> None:
    """Ask every named and generated question; print the refusal rate and what was answered."""
    import argparse
    import json

    from assistant.api import Assistant

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="how many generated questions (besides the eight named)")
    parser.add_argument("--file", help="ask the questions of this file (one per line) instead of the named and generated ones")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant()
    if args.file:
        with open(args.file, encoding="utf-8") as handle:
            questions = [line.strip() for line in handle if line.strip()]
    else:
        questions = NAMED + generated(args.n)
    answered = [q for q in questions if not assistant.ask(q).refused]
    rate = (len(questions) - len(answered)) / len(questions)
    if args.json:
        print(json.dumps({"questions": len(questions), "refused": len(questions) - len(answered), "rate": rate, "answered": answered}))
        return
    print(f"{len(questions) - len(answered)} of {len(questions)} refused ({rate:.1%})")
    for q in answered:
        print(f"  answered: {q}")


if __name__ == "__main__":
    main()
