"""Guidance assistant for the 2021 DHS civil immigration enforcement guidelines.

Importing the package touches no disk, network or model; see ``assistant.api`` for the entry
points and ``docs/ARCHITECTURE.md`` for the pipeline.
"""

__version__ = "0.1.0"
