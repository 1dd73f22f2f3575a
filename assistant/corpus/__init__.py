"""The corpus stage: the bundled documents and their manifest, readers per format, the splitter.

Nothing here needs a model or an index: this stage turns files into typed passages (with their
section, anchor, label and aliases) and knows each document's metadata and legal status history.
The bundled corpus itself is package data in ``bundled/`` (see ``manifest.bundled_dir``).
"""
