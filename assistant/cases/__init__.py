"""The cases stage: case files, the rule table, the factor analysis, the memo and its optional narrative.

``facts`` reads and validates a case file into typed facts; ``rules`` is the rule table (data
with provenance, ``corpus/bundled/rules/``) and its condition language; ``analysis`` applies it
and ``assess_case`` attaches the checker's report; ``memo`` renders the memo in three formats.
The decision always stays the officer's: nothing here states a verdict.
"""
