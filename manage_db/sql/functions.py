"""Functions whose value changes from row to row: as a column default, they rewrite the table."""

from __future__ import annotations

# Built-in and common extension functions known to be volatile (the plan asks the server about
# the others).
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "random_normal",
        "gen_random_bytes",
        "uuidv4",
        "uuidv7",
    }
)
