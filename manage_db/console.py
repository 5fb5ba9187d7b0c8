"""One line on the console, as ``click.echo`` writes it, for code that runs without click."""

from __future__ import annotations

import sys

# click.echo strips ANSI escapes when the stream is not a terminal; so does this.
_ANSI = "\033["


def echo(message: str, *, err: bool = False) -> None:
    """One line on stdout (stderr with ``err``), flushed: what ``click.echo`` writes."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if _ANSI in message and not stream.isatty():
        import re

        message = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", message)
    stream.write(message + "\n")
    stream.flush()
