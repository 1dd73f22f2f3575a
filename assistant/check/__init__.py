"""The deterministic checker: rules every answer, analysis and memo must pass before a user sees them.

One module per kind of object: ``citations`` (integrity of one citation), ``answers``,
``analyses`` (factor analyses, with the word lists of the civil-rights and removability rules),
``status`` (a status claimed on a date), ``files`` (a JSON file, possibly edited). The rule table
with each rule's provenance is ``rules.RULES``. The checks are pure functions over typed objects
and the canonical texts of the indexed documents; nothing here calls a model or the analysis:
comparing an analysis with its case's facts takes the analysis the rules derive, computed by the
caller (``cases.analysis``).
"""
