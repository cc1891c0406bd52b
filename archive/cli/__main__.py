"""``python -m archive.cli``: the ``archive`` command without its console script (the
store starts its background extraction drainer this way)."""

from archive.cli import cli

cli()
