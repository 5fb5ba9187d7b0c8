"""Every setting is declared once (manage_db/config.py's KEYS); the shipped config.yml, the
README's configuration table, the man page's options and the command line agree with it.

When a test here fails after a key was added or changed: ``python scripts/gen_settings_docs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from manage_db import settings_docs
from manage_db.config import COMPONENT_KEYS, KEYS, Key, global_options, load_settings

REPO = Path(__file__).resolve().parents[2]
CONFIG_YML = REPO / "etc" / "wazo-manage-db" / "config.yml"
README = REPO / "README.md"
MAN_PAGE = REPO / "debian" / "wazo-manage-db.1"
REGENERATE = "out of date: run python scripts/gen_settings_docs.py"


def missing(text: str, words: list[str]) -> list[str]:
    return [word for word in words if word not in text]


def test_every_setting_has_its_one_line_doc():
    undocumented = [name for name, key in {**KEYS, **COMPONENT_KEYS}.items() if not key.doc]
    assert not undocumented, f"give these keys a doc= in manage_db/config.py: {undocumented}"


def test_shipped_config_yml_names_every_key_and_is_the_declarations():
    text = CONFIG_YML.read_text()
    leaves = [f"{name.rpartition('.')[2]}:" for name, key in KEYS.items() if key.in_file]
    assert not missing(text, leaves), REGENERATE
    assert text == settings_docs.config_yml(), REGENERATE


def test_shipped_config_yml_sets_the_built_in_defaults(tmp_path):
    """What the file sets (uncommented) is each key's default: shipping it changes nothing."""
    from_file = load_settings(str(CONFIG_YML), environ={})
    (tmp_path / "empty.yml").write_text("")
    built_in = load_settings(str(tmp_path / "empty.yml"), environ={})
    for name in set(KEYS) - {"config_file", "extra_config_files"}:  # where the file is
        head, _, leaf = name.rpartition(".")
        ours = from_file[head][leaf] if head else from_file[name]
        assert ours == (built_in[head][leaf] if head else built_in[name]), name


def test_readme_table_has_a_row_per_key_with_its_default_and_option():
    table = settings_docs.between(
        README.read_text(), settings_docs.README_BEGIN, settings_docs.README_END
    )
    assert not missing(table, [f"| `{name}` |" for name in KEYS]), REGENERATE
    assert not missing(table, [f"`{s}`" for k in global_options().values() for s in k.spellings])
    assert table == settings_docs.readme_table(), REGENERATE


def test_man_page_lists_every_global_option():
    options = settings_docs.between(
        MAN_PAGE.read_text(), settings_docs.MAN_BEGIN, settings_docs.MAN_END
    )
    spellings = [s.replace("-", "\\-") for k in global_options().values() for s in k.spellings]
    assert not missing(options, spellings), REGENERATE
    assert {"\\-\\-db\\-uri", "\\-\\-log\\-file"} <= set(spellings)
    assert options == settings_docs.man_options(), REGENERATE


def test_click_and_the_launcher_take_every_declared_global_option():
    from manage_db.cli import cli
    from manage_db.launcher import parse

    click_spellings = {s for p in cli.params for s in p.opts}
    for name, key in global_options().items():
        assert set(key.spellings) <= click_spellings, name
        value = [] if key.kind is bool else ["x"]
        invocation = parse([key.spellings[-1], *value, "status"])
        assert invocation is not None, name
        assert invocation.options[name] == (True if key.kind is bool else "x")


def test_a_key_added_in_the_current_shape_is_generated_and_must_be_documented(monkeypatch):
    monkeypatch.setitem(KEYS, "replica_wait", Key(30.0, (int, float)))
    monkeypatch.setitem(KEYS, "plan.max_rows", Key(5, int, doc="rows at most"))
    text = settings_docs.config_yml()
    assert "# replica_wait: 30" in text
    assert "#   max_rows: 5" in text
    assert "| `replica_wait` | `30` |" in settings_docs.readme_table()
    with pytest.raises(AssertionError, match="replica_wait"):
        test_every_setting_has_its_one_line_doc()


def test_a_global_option_added_to_the_table_reaches_both_front_doors(monkeypatch):
    from manage_db.launcher import parse

    monkeypatch.setitem(KEYS, "socket_dir", Key("/run", str, flag="--socket-dir DIR", doc="d"))
    invocation = parse(["--socket-dir=/tmp", "status"])
    assert invocation is not None and invocation.options["socket_dir"] == "/tmp"
    assert "\\-\\-socket\\-dir" in settings_docs.man_options()
