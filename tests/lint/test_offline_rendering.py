"""How op.* calls are rendered offline (and analysed when they cannot be)."""

from __future__ import annotations


def test_a_revision_that_prints_does_not_pollute_the_output(tree, capsys):
    tree.revision("a1", None, upgrade="print('hello')", body="print('loading')\n")
    assert tree.codes() == []
    assert capsys.readouterr().out == ""
