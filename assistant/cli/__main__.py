"""``python -m assistant.cli``: the same as the ``guidance`` command."""

from assistant.cli import main

main()
