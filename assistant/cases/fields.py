"""What each case-file field means, in plain words: the labels and tooltips of the case form, as data.

The field names are the public case-file format (docs/CONTRACTS.md section 3) and never change;
the labels are presentation. A form shows ``label`` and puts the meaning and the field's name in
the tooltip (``tooltip``); a validation problem is shown next to its field, with the names of
other fields in it replaced by their labels (``plain_problem``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldText:
    """How a person reads one case-file field."""

    label: str  # short enough never to be cut off in a narrow column
    meaning: str  # one sentence: what the field records, and what leaving it empty means


FIELDS: dict[str, FieldText] = {
    "case_id": FieldText("Case id", "The identifier of the case, as your office writes it (required)."),
    "assessed_on": FieldText("Assessment date", "The date the assessment is made; the guidelines' status is given for it."),
    "person.age": FieldText("Age", "Age in years on the assessment date. Or give the birth date."),
    "person.birth_date": FieldText("Birth date", "Used for the age when the age is not given."),
    "person.years_in_us": FieldText("Years in the U.S.", "Years the person has lived in the United States. Or give the "
                                    "entry date."),
    "person.name": FieldText("Name", "The person's name, shown in the memo's header (optional)."),
    "person.a_number": FieldText("A-number", "Alien registration number, as written in the file (optional)."),
    "entry.date": FieldText("Entry date", "The date the person entered the United States; empty when unknown."),
    "entry.manner": FieldText("Manner of entry", "Whether the entry was lawful or unlawful."),
    "apprehension.date": FieldText("Apprehension date", "The date of the apprehension; empty when unknown."),
    "apprehension.location": FieldText("Where apprehended", "At the border, at a port of entry, or in the interior."),
    "apprehension.attempting_unlawful_entry": FieldText(
        "Attempting unlawful entry", "Whether the person was apprehended while attempting to enter unlawfully."),
    "national_security.terrorism_or_espionage": FieldText(
        "Terrorism or espionage", "The person engaged in, or is suspected of, terrorism or espionage or related activities."),
    "national_security.other_danger": FieldText(
        "Other danger to national security", "The person is otherwise a danger to national security."),
    "criminal_history": FieldText("Criminal history", "One row per offense in the record; a cell left empty is unknown."),
    "circumstances.mental_condition_contributed": FieldText(
        "Mental condition contributed", "A mental condition contributed to the criminal conduct."),
    "circumstances.condition_requiring_care": FieldText(
        "Needs care or treatment", "A mental or physical condition that requires care or treatment."),
    "circumstances.crime_victim": FieldText("Victim of a crime", "The person is a victim of a crime."),
    "circumstances.witness_or_party_in_proceedings": FieldText(
        "Witness or party in proceedings", "A victim, witness or party in legal proceedings."),
    "circumstances.provider_or_caregiver": FieldText(
        "Provider or caregiver", "The person provides for, or cares for, family in the United States."),
    "circumstances.workplace_or_tenant_rights": FieldText(
        "Workplace or tenant rights", "Exercised workplace or tenant rights, or is a witness in a labor or housing dispute."),
    "circumstances.family_in_us": FieldText("Family in the U.S.", "Family members in the United States, one per line."),
    "circumstances.relief_eligibility": FieldText("Possible relief", "Humanitarian protection or other relief the person "
                                                  "may be eligible for, one per line."),
    "circumstances.service": FieldText("Military or public service", "Service of the person or their immediate family, "
                                       "one per line."),
    "circumstances.rehabilitation": FieldText("Evidence of rehabilitation", "Evidence of rehabilitation, one per line."),
    "notes": FieldText("Notes", "Anything else the officer wants in the memo's facts."),
}

OFFENSE_FIELDS: dict[str, FieldText] = {
    "offense": FieldText("Offense", "What the offense was, e.g. burglary (required for each row)."),
    "date": FieldText("Date", "The date of the offense; empty when unknown."),
    "convicted": FieldText("Convicted", "Whether the person was convicted of it."),
    "sentence_months": FieldText("Sentence (months)", "The sentence imposed, in months; empty when unknown."),
    "serious": FieldText("Serious", "Your assessment that the offense is serious."),
    "harm": FieldText("Harm", "The nature and degree of harm caused."),
    "weapon": FieldText("Weapon", "A firearm or dangerous weapon used or threatened."),
    "sophistication": FieldText("Sophistication", "How sophisticated the offense was."),
    "vacated_or_expunged": FieldText("Vacated or expunged", "The conviction was vacated or expunged."),
}

UNKNOWN = "unknown"
"""How the form shows a fact that is not recorded (null in a case file): never "None"."""


def tooltip(path: str) -> str:
    """A field's tooltip: what it means, then its name in the case file."""
    if path.startswith("criminal_history[]."):
        text = OFFENSE_FIELDS[path.removeprefix("criminal_history[].")]
    else:
        text = FIELDS[path]
    return f"{text.meaning} Case-file field: `{path}`."


def label(path: str) -> str:
    """A field's plain label (``criminal_history[2].date`` reads "Offense 3, date")."""
    m = _ROW.match(path)
    if m:
        column = OFFENSE_FIELDS.get(m.group(2))
        return f"Offense {int(m.group(1)) + 1}" + (f", {column.label.lower()}" if column else "")
    return FIELDS[path].label if path in FIELDS else path


_ROW = re.compile(r"^criminal_history\[(\d+)\](?:\.(\w+))?$")
_PATH = re.compile(r"\b(?:criminal_history\[\d+\](?:\.\w+)?|[a-z_]+\.[a-z_]+|assessed_on|case_id)\b")


def plain_problem(what: str) -> str:
    """A validation problem with the field names in it replaced by their labels ("is before Entry date 1992-05-01")."""

    def name(m: re.Match[str]) -> str:
        path = m.group(0)
        return label(path) if path in FIELDS or _ROW.match(path) else path

    return _PATH.sub(name, what)
