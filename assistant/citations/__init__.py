"""Citations: exact spans of a document, built, located and numbered in one place.

``cite`` builds a citation from a passage span (the quote is always the document's own text at
the offsets) and cites a unit by its anchor; ``locate`` finds a quote a model returned inside the
passage it names; ``numbering`` gives every citation of an answer or a memo its ``[n]``. The
checker (``assistant.check``) verifies citations; nothing here decides what to cite.
"""
