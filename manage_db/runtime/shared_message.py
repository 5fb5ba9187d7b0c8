"""Whether a statement may share a simple-query message with the statements around it.

Statement batching (``runtime.batching``) joins a revision's statements into one simple-query
message. PostgreSQL runs such a message as one implicit transaction when no transaction block is
open, and a statement that ends or starts a transaction there changes what the rest means: after
``COMMIT``, plain alembic sends ``ALTER TYPE … ADD VALUE`` and the ``UPDATE`` using the new label
one by one (each commits on its own), while one message holds them in one transaction and the
server refuses the label. So a statement is held only when its kind provably keeps the meaning it
has alone inside the revision's transaction block:

- no transaction control (``BEGIN``, ``START``, ``COMMIT``, ``END``, ``ROLLBACK``, ``ABORT``,
  ``SAVEPOINT``, ``RELEASE``, ``PREPARE TRANSACTION``, ``SET TRANSACTION``,
  ``SET SESSION CHARACTERISTICS``);
- nothing that must run alone or outside a transaction block, or may end the transaction itself:
  ``CONCURRENTLY`` anywhere, ``ALTER TYPE … ADD VALUE``, ``CREATE``/``ALTER``/``DROP DATABASE``,
  ``TABLESPACE``, ``SUBSCRIPTION``, ``ALTER SYSTEM``, ``DO`` and ``CALL`` (a procedure or block
  may commit where the server lets it), ``VACUUM``, ``CLUSTER``, ``REINDEX``, ``COPY``,
  ``DISCARD``, cursors and prepared statements;
- only statements whose first keyword is on a short allow-list (the DDL and DML migrations send:
  ``CREATE``, ``ALTER``, ``DROP``, ``INSERT``, ``UPDATE``, ``DELETE``, ``SELECT``, ``WITH``,
  ``COMMENT``, ``GRANT``, ``REVOKE``, ``TRUNCATE``, ``LOCK``, ``SET``, ``RESET``, …); anything
  else is sent alone.

The reading is keyword-level: a small lexer that skips comments, quoted strings, quoted
identifiers and dollar-quoted bodies, splits on top-level semicolons and looks at the words. It
needs no parser (pglast is lint's dependency, not upgrade's) and can only err one way: text it
cannot read to the end (an unterminated quote or comment) is sent alone, and a word it does not
know sends the statement alone. Sending alone is always what alembic itself does.
"""

from __future__ import annotations

from collections.abc import Iterator

# First keywords of statements that keep their meaning inside a shared message (see above).
SHAREABLE_FIRST_WORDS = frozenset(
    {
        "ALTER", "ANALYZE", "COMMENT", "CREATE", "DELETE", "DROP", "GRANT", "IMPORT",
        "INSERT", "LOCK", "MERGE", "NOTIFY", "REASSIGN", "REFRESH", "RESET", "REVOKE",
        "SECURITY", "SELECT", "SET", "TABLE", "TRUNCATE", "UPDATE", "VALUES", "WITH",
    }
)  # fmt: skip
# Objects whose CREATE/ALTER/DROP cannot run in a transaction block, or act outside it.
OUTSIDE_TRANSACTION_OBJECTS = frozenset({"DATABASE", "TABLESPACE", "SUBSCRIPTION", "SYSTEM"})
# SET forms that change the transaction's own characteristics.
TRANSACTION_SETTINGS = frozenset({"TRANSACTION", "CHARACTERISTICS"})
# The second word of CREATE/ALTER/DROP may be one of these before the object's kind.
_MODIFIERS = frozenset({"OR", "REPLACE", "UNIQUE", "GLOBAL", "LOCAL", "TEMP", "TEMPORARY"})

_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_WORD_REST = _WORD_START | frozenset("0123456789$")


def may_share_message(sql: str) -> bool:
    """Whether ``sql`` (one or more statements) may go out in one message with others, inside
    the revision's transaction block, without changing what it or they mean."""
    statements = _statement_words(sql)
    if statements is None:
        return False
    return all(_shareable(words) for words in statements)


def _shareable(words: list[str]) -> bool:
    if not words:
        return True  # an empty statement (comments, a stray semicolon)
    first = words[0]
    if first not in SHAREABLE_FIRST_WORDS or "CONCURRENTLY" in words:
        return False
    if first in ("CREATE", "ALTER", "DROP"):
        kind = next((w for w in words[1:] if w not in _MODIFIERS), "")
        if kind in OUTSIDE_TRANSACTION_OBJECTS:
            return False
        if first == "ALTER" and kind == "TYPE" and _adds_a_label(words):
            return False
    if first == "SET" and len(words) > 1:
        return not TRANSACTION_SETTINGS.intersection(words[1:3])
    return True


def _adds_a_label(words: list[str]) -> bool:
    """``ALTER TYPE … ADD VALUE``: the label cannot be used before the transaction commits."""
    return any(a == "ADD" and b == "VALUE" for a, b in zip(words, words[1:], strict=False))


def _statement_words(sql: str) -> list[list[str]] | None:
    """The upper-cased words of each statement of ``sql`` outside quotes and comments; None
    when the text cannot be read to its end."""
    statements: list[list[str]] = [[]]
    try:
        for token in _tokens(sql):
            if token == ";":
                statements.append([])
            else:
                statements[-1].append(token)
    except _Unreadable:
        return None
    return statements


class _Unreadable(Exception):
    """An unterminated quote, identifier or comment."""


def _tokens(sql: str) -> Iterator[str]:
    """Words (upper-cased) and semicolons, outside strings, quoted identifiers and comments."""
    i, end = 0, len(sql)
    while i < end:
        char = sql[i]
        if char in _WORD_START:
            start = i
            i += 1
            while i < end and sql[i] in _WORD_REST:
                i += 1
            word = sql[start:i]
            if i < end and sql[i] == "'" and word in ("E", "e"):
                i = _skip_string(sql, i, backslashes=True)
            elif i < end and sql[i] == "'":
                i = _skip_string(sql, i, backslashes=False)  # N'…', B'…', X'…', U&'…'
            else:
                yield word.upper()
        elif char == ";":
            yield ";"
            i += 1
        elif char == "'":
            i = _skip_string(sql, i, backslashes=False)
        elif char == '"':
            i = _closing(sql, i + 1, '"')
        elif char == "-" and sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = end if newline < 0 else newline + 1
        elif char == "/" and sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
        elif char == "$":
            i = _skip_dollar(sql, i)
        else:
            i += 1


def _closing(sql: str, i: int, quote: str) -> int:
    """Past the ``quote`` closing a quoted section starting at ``i`` (a doubled one is kept)."""
    while True:
        found = sql.find(quote, i)
        if found < 0:
            raise _Unreadable()
        if sql.startswith(quote * 2, found):
            i = found + 2
            continue
        return found + 1


def _skip_string(sql: str, quote: int, backslashes: bool) -> int:
    if not backslashes:
        return _closing(sql, quote + 1, "'")
    i = quote + 1
    while i < len(sql):
        char = sql[i]
        if char == "\\":
            i += 2
        elif char == "'":
            if sql.startswith("''", i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise _Unreadable()


def _skip_block_comment(sql: str, i: int) -> int:
    """Past a ``/* … */`` comment, nested ones included."""
    depth, i = 0, i
    while i < len(sql):
        if sql.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif sql.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise _Unreadable()


def _skip_dollar(sql: str, i: int) -> int:
    """Past a dollar-quoted body (``$tag$ … $tag$``), or past a lone ``$`` / ``$1``."""
    j = i + 1
    while j < len(sql) and sql[j] in _WORD_REST and sql[j] != "$":
        j += 1
    if j >= len(sql) or sql[j] != "$" or (j > i + 1 and sql[i + 1].isdigit()):
        return i + 1  # a positional parameter or an operator character, not a quote
    tag = sql[i : j + 1]
    closing = sql.find(tag, j + 1)
    if closing < 0:
        raise _Unreadable()
    return closing + len(tag)
