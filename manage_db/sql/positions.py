"""Where a character offset of a text is, as the 1-based (line, column) a user reads."""

from __future__ import annotations

from bisect import bisect_right


class Lines:
    """(line, column) of character offsets in a text; the line starts found on first use."""

    def __init__(self, text: str):
        self._text = text
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0]
            position = self._text.find("\n")
            while position >= 0:
                self._starts.append(position + 1)
                position = self._text.find("\n", position + 1)
        index = bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1
