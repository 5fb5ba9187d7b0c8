"""``wazo-manage-db squash``: an old history turned into a baseline revision that proves itself.

``service`` builds the history in throwaway databases, writes the baseline and its SQL dump into
a copy of the tree, proves the copy gives the same databases (at the baseline and at the heads),
and only then changes the tree; ``dao`` reads the built databases and runs ``pg_dump``;
``tree_files`` writes and removes the tree's files; ``floor`` records the squashed ids and
refuses a database still at one of them; ``model`` and ``notifier`` hold and show the result.
"""
