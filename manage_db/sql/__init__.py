"""SQL analysis shared by lint, plan and the upgrade's messages.

Statement parsing with PostgreSQL's own grammar (:mod:`.parse`, pglast, imported only by it), the
parse tree as rules read it (:mod:`.nodes`), which lock a statement takes (:mod:`.locks`),
volatile functions and column types (:mod:`.functions`, :mod:`.non_volatile_functions`,
:mod:`.columns`), where SQL sits in a
Python revision (:mod:`.pysource`, :mod:`.opcalls`) and positions in a text
(:mod:`.positions`). No rule and no judgement here: lint's rules and the plan decide what the
facts mean.
"""
