"""The project's small exception hierarchy.

Library code raises these with a message that says what went wrong and what to do next; the CLI
turns them into one line on stderr and the exit code below, once, at the edge. Anything else that
escapes is a bug and is reported as such.
"""

from __future__ import annotations


class GuidanceError(Exception):
    """Base class: a problem the user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 2


class InputError(GuidanceError):
    """The user's input (a question, a path, a file) cannot be used."""


class DocumentError(InputError):
    """A document to ingest cannot be read: missing, corrupt, empty or of an unknown format."""


class DocumentTooLargeError(DocumentError):
    """A document to ingest is over one of the ingest limits (``GUIDANCE_INGEST__*``)."""


class IndexMissingError(GuidanceError):
    """There is no index yet."""


class IndexMismatchError(GuidanceError):
    """The index was built by another embedding model or chunker version."""


class IndexCorruptError(GuidanceError):
    """The index folder exists but cannot be opened as ours."""


class StoreUnavailableError(GuidanceError):
    """The Chroma server holding the vectors cannot be reached, or failed mid-request (even when asked twice)."""


class IndexBusyError(GuidanceError):
    """Another ingest holds the index lock."""


class ConfigError(GuidanceError):
    """A setting has an unusable value."""


class ModelLoadError(GuidanceError):
    """The embedding model cannot be loaded from its local folder."""
