"""MDB503: its findings, and what it leaves alone."""

from __future__ import annotations

import pytest

from tests.lint.conftest import assert_lock_warning


@pytest.mark.parametrize(
    ("code", "upgrade", "lock"),
    [
        (
            "MDB503",
            "op.execute('ALTER TABLE users ADD COLUMN u uuid DEFAULT gen_random_uuid()')",
            "ACCESS EXCLUSIVE",
        ),
        ("MDB503", "op.execute('ALTER TABLE users ADD COLUMN n serial')", "ACCESS EXCLUSIVE"),
    ],
)
def test_on_an_existing_table_it_warns_and_names_the_lock(tree, code, upgrade, lock):
    assert_lock_warning(tree.after_timeout(upgrade), code, lock)


@pytest.mark.parametrize(
    "upgrade",
    [
        "op.execute('ALTER TABLE users ADD COLUMN at timestamptz DEFAULT now()')",
    ],
)
def test_safe_forms_do_not_warn(tree, upgrade):
    assert tree.after_timeout(upgrade) == []


@pytest.mark.parametrize(
    ("default", "function"),
    [
        ("uuid()", "uuid"),
        ("myschema.next_code()", "next_code"),
        ("lower(make_code())", "make_code"),
    ],
)
def test_a_function_lint_does_not_know_is_taken_as_volatile(tree, default, function):
    upgrade = f"op.execute('ALTER TABLE users ADD COLUMN c text DEFAULT {default}')"
    (finding,) = tree.after_timeout(upgrade)
    assert finding.code == "MDB503"
    assert f"default {function}()" in finding.message and "VOLATILE" in finding.message


@pytest.mark.parametrize(
    "default",
    [
        "now() - interval '1 day'",
        "timezone('utc', now())",
        "lower('X')",
        "uuid_nil()",
        "'{}'::jsonb",
        "array[]::text[]",
    ],
)
def test_known_immutable_and_stable_functions_and_constants_do_not_warn(tree, default):
    upgrade = f'op.execute("ALTER TABLE users ADD COLUMN c text DEFAULT {default}")'
    assert tree.after_timeout(upgrade) == []


def test_a_function_the_revision_declares_stable_is_not_volatile_but_a_plain_one_is(tree):
    create = "CREATE FUNCTION {name}() RETURNS int LANGUAGE sql {how} AS $$ SELECT 1 $$"
    upgrade = "\n".join(
        [
            f"op.execute({create.format(name='stable_one', how='STABLE')!r})",
            f"op.execute({create.format(name='plain_one', how='')!r})",
            "op.execute('ALTER TABLE users ADD COLUMN a int DEFAULT stable_one()')",
            "op.execute('ALTER TABLE users ADD COLUMN b int DEFAULT plain_one()')",
        ]
    )
    (finding,) = tree.after_timeout(upgrade)
    assert "default plain_one()" in finding.message
