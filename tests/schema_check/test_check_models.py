"""check-models: the models' create_all() against the migrations' head, one line per difference."""

from __future__ import annotations

import json

import pytest

# (what the models change, the line check-models must print)
MISMATCHES = {
    "missing index": (
        ('sa.Index("account_email_idx", "email"),', ""),
        "index public.account_email_idx: in the migrations, not in the models",
    ),
    "nullability": (
        ("email = sa.Column(sa.String(80), nullable=False)", "email = sa.Column(sa.String(80))"),
        "table public.account: column email not_null: models False, migrations True",
    ),
    "default": (
        (
            'created_at = sa.Column(sa.DateTime, server_default=sa.text("now()"), nullable=False)',
            "created_at = sa.Column(sa.DateTime, nullable=False)",
        ),
        "table public.account: column created_at default: models none, migrations 'now()'",
    ),
    "type": (
        ("email = sa.Column(sa.String(80)", "email = sa.Column(sa.String(120)"),
        "table public.account: column email type: models 'character varying(120)', "
        "migrations 'character varying(80)'",
    ),
    "missing table": (
        (
            "class Note(Base):",
            'class Tag(Base):\n    __tablename__ = "tag"\n\n'
            "    id = sa.Column(sa.Integer, primary_key=True)\n\n\nclass Note(Base):",
        ),
        [
            "index public.tag_pkey: in the models, not in the migrations",
            "sequence public.tag_id_seq: in the models, not in the migrations",
            "table public.tag: in the models, not in the migrations",
        ],
    ),
    "enum label": (
        ('sa.Enum("new", "active", name=', 'sa.Enum("new", "active", "closed", name='),
        "enum public.account_status: labels: models ['new', 'active', 'closed'], "
        "migrations ['new', 'active']",
    ),
    # What alembic check does not compare:
    "expression index": (
        (
            'sa.Index("note_lower_body_idx", sa.text("lower(body)"))',
            'sa.Index("note_lower_body_idx", "body")',
        ),
        "index public.note_lower_body_idx: definition: models "
        "'CREATE INDEX note_lower_body_idx ON public.note USING btree (body)', migrations "
        "'CREATE INDEX note_lower_body_idx ON public.note USING btree (lower(body))'",
    ),
    "check constraint": (
        ('sa.CheckConstraint("score >= 0", name="account_score_check"),', ""),
        "table public.account: constraint account_score_check: in the migrations "
        "(CHECK ((score >= 0))), not in the models",
    ),
    "comment": (
        ('body = sa.Column(sa.Text, comment="the text")', "body = sa.Column(sa.Text)"),
        "table public.note: column body comment: models none, migrations 'the text'",
    ),
}


def test_models_that_match_the_migrations_are_clean(shop_config, write_models, run_cli):
    config = shop_config(models=write_models())
    result = run_cli("check-models", config=config)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("demo: clean: models against migrations (s2000000note)")


@pytest.mark.parametrize("mismatch", sorted(MISMATCHES))
def test_each_mismatch_is_one_line_naming_the_object_and_both_sides(
    mismatch, shop_config, write_models, run_cli
):
    replacement, expected = MISMATCHES[mismatch]
    expected = expected if isinstance(expected, list) else [expected]
    config = shop_config()
    result = run_cli("check-models", "--models", write_models(replacement), config=config)
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    summary = f"demo: {len(expected)} difference(s): models against migrations (s2000000note)"
    assert lines == [summary] + [f"  {line}" for line in expected]


def test_json_names_each_difference(shop_config, write_models, run_cli):
    config = shop_config(models=write_models(MISMATCHES["nullability"][0]))
    result = run_cli("check-models", "--json", config=config)
    assert result.exit_code == 1, result
    (report,) = json.loads(result.stdout)
    assert report["component"] == "demo" and not report["clean"]
    assert report["differences"] == [
        {
            "object": "table public.account",
            "kind": "table",
            "name": "public.account",
            "change": "changed",
            "property": "columns/email/not_null",
            "expected": False,
            "actual": True,
        }
    ]


def test_a_metadata_object_is_accepted_as_well_as_a_declarative_base(
    shop_config, write_models, run_cli
):
    result = run_cli(
        "check-models", "--models", write_models(attribute="Base.metadata"), config=shop_config()
    )
    assert result.exit_code == 0, result


@pytest.mark.parametrize(
    ("models", "code", "message"),
    [
        (
            "no_such_module_4d1f:Base",
            6,
            "models no_such_module_4d1f:Base: module no_such_module_4d1f "
            "does not import: ModuleNotFoundError: No module named 'no_such_module_4d1f'",
        ),
        ("{module}:Nothing", 6, "models {module}:Nothing: {module} has no attribute 'Nothing'"),
        (
            "{module}:sa",
            6,
            "models {module}:sa: sa is a module, not a MetaData or a declarative base",
        ),
        ("just_a_module", 2, "models 'just_a_module': expected MODULE:ATTR"),
    ],
)
def test_bad_models_are_one_line_and_a_documented_code(
    models, code, message, shop_config, write_models, run_cli
):
    module = write_models().partition(":")[0]
    result = run_cli("check-models", "--models", models.format(module=module), config=shop_config())
    assert result.exit_code == code, result
    assert result.stderr.startswith(f"wazo-manage-db: {message.format(module=module)}"), result
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_models_module_that_raises_on_import_is_named(shop_config, tmp_path, run_cli):
    (tmp_path / "broken_models_7c2e.py").write_text("raise RuntimeError('no config here')\n")
    result = run_cli("check-models", "--models", "broken_models_7c2e:Base", config=shop_config())
    assert result.exit_code == 6, result
    assert result.stderr.strip() == (
        "wazo-manage-db: models broken_models_7c2e:Base: module broken_models_7c2e does not "
        "import: RuntimeError: no config here"
    )


def test_without_models_configured_it_says_how_to_give_them(shop_config, run_cli):
    result = run_cli("check-models", config=shop_config())
    assert result.exit_code == 2, result
    assert "set the component's `models` (MODULE:ATTR) or give --models" in result.stderr


def test_built_as_the_owner_role_and_nothing_left_behind(
    shop_config, write_models, run_cli, pg_admin_uri
):
    from throwaway_drops import wait_for_throwaway_drops

    config = shop_config()
    assert run_cli("init", config=config).exit_code == 0
    result = run_cli("check-models", "--models", write_models(), config=config)
    assert result.exit_code == 0, result
    # Its two databases belonged to the owner role; the server drops them within seconds.
    assert wait_for_throwaway_drops(pg_admin_uri, shop_config.role) == []


def test_a_schema_confined_component_compares_its_schema(shop_config, write_models, run_cli):
    result = run_cli("check-models", config=shop_config(schema="shop", models=write_models()))
    assert result.exit_code == 0, result
    replacement, _ = MISMATCHES["nullability"]
    config = shop_config(schema="shop")
    result = run_cli("check-models", "--models", write_models(replacement), config=config)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[1:] == [
        "  table shop.account: column email not_null: models False, migrations True"
    ]


def test_a_history_that_does_not_build_is_one_line_naming_the_revision(
    shop_config, shop_tree, write_models, run_cli
):
    revision = shop_tree / "versions" / "s2000000note.py"
    source = revision.read_text()
    revision.write_text(
        source.replace(
            "    op.create_table(",
            '    op.execute("SELECT * FROM nowhere")\n    op.create_table(',
            1,
        )
    )
    result = run_cli("check-models", "--models", write_models(), config=shop_config())
    assert result.exit_code == 6, result
    assert result.stderr.startswith(
        "wazo-manage-db: demo: building the history failed at s2000000note: "
    ), result
    assert 'relation "nowhere" does not exist' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
