"""Configuration layers and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from manage_db.config import load_settings, parse_yaml
from manage_db.errors import ConfigError


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_when_no_file_sets_a_key(tmp_path):
    config = write(tmp_path / "config.yml", "log_level: warning\n")
    settings = load_settings(str(config), environ={})
    assert settings["log_level"] == "warning"
    assert settings["lock_wait"] == 300.0
    assert settings["components"]["asterisk"]["version_table"] == "alembic_version"


def test_conf_d_first_file_in_alphabetical_order_wins_over_config_yml(tmp_path):
    config = write(tmp_path / "config.yml", "log_level: error\nlock_wait: 5\n")
    write(tmp_path / "conf.d" / "20-later.yml", "log_level: debug\nserver_wait: 7\n")
    write(tmp_path / "conf.d" / "10-first.yml", "log_level: warning\n")
    settings = load_settings(str(config), environ={})
    assert settings["log_level"] == "warning"
    assert settings["server_wait"] == 7
    assert settings["lock_wait"] == 5


def test_conf_d_ignores_dot_files_and_other_extensions(tmp_path):
    config = write(tmp_path / "config.yml", "")
    write(tmp_path / "conf.d" / ".hidden.yml", "log_level: debug\n")
    write(tmp_path / "conf.d" / "notes.yaml", "log_level: debug\n")
    write(tmp_path / "conf.d" / "broken.yml.dpkg-old", "{{{")
    assert load_settings(str(config), environ={})["log_level"] == "info"


def test_component_settings_merge_key_by_key_across_layers(tmp_path):
    config = write(tmp_path / "config.yml", "components:\n  asterisk:\n    version_table: vt\n")
    write(tmp_path / "conf.d" / "a.yml", "components:\n  asterisk:\n    extensions: [hstore]\n")
    asterisk = load_settings(str(config), environ={})["components"]["asterisk"]
    assert asterisk["version_table"] == "vt"
    assert list(asterisk["extensions"]) == ["hstore"]
    assert asterisk["script_location"].endswith("alembic")


def test_command_line_beats_environment_beats_files(tmp_path):
    config = write(tmp_path / "config.yml", "db_uri: postgresql://file@h/db\n")
    env = {"ALEMBIC_DB_URI": "postgresql://env@h/db"}
    assert load_settings(str(config), environ=env)["db_uri"] == "postgresql://env@h/db"
    cli = {"db_uri": "postgresql://cli@h/db"}
    assert load_settings(str(config), cli, environ=env)["db_uri"] == "postgresql://cli@h/db"


def test_old_pg_db_uri_name_is_the_admin_uri(tmp_path):
    config = write(tmp_path / "config.yml", "pg_db_uri: postgresql://postgres@h/postgres\n")
    assert load_settings(str(config), environ={})["admin_uri"] == "postgresql://postgres@h/postgres"


def test_unknown_key_names_file_and_key(tmp_path):
    config = write(tmp_path / "config.yml", "components:\n  asterisk:\n    scrpt_location: x\n")
    with pytest.raises(ConfigError) as error:
        load_settings(str(config), environ={})
    assert str(error.value) == f"{config}: unknown key 'components.asterisk.scrpt_location'"
    assert error.value.exit_code == 2


def test_unknown_key_in_conf_d_names_that_file(tmp_path):
    config = write(tmp_path / "config.yml", "")
    extra = write(tmp_path / "conf.d" / "50-local.yml", "lock_wiat: 3\n")
    with pytest.raises(ConfigError, match=f"^{extra}: unknown key 'lock_wiat'$"):
        load_settings(str(config), environ={})


def test_wrong_type_names_key_and_types(tmp_path):
    config = write(tmp_path / "config.yml", "lock_wait: soon\n")
    with pytest.raises(ConfigError) as error:
        load_settings(str(config), environ={})
    assert str(error.value) == f"{config}: 'lock_wait' must be int or float, not str"


def test_broken_yaml_names_file_and_line(tmp_path):
    config = write(tmp_path / "config.yml", "log_level: info\ncomponents: [\n  a: b\n")
    with pytest.raises(ConfigError) as error:
        load_settings(str(config), environ={})
    message = str(error.value)
    assert message.startswith(f"{config}: invalid YAML (line ")
    assert "\n" not in message


def test_bad_log_level_is_refused(tmp_path):
    config = write(tmp_path / "config.yml", "log_level: loud\n")
    with pytest.raises(ConfigError, match="log_level: 'loud' is not one of debug, info"):
        load_settings(str(config), environ={})


def test_explicit_config_file_must_exist(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigError, match=f"^{missing}: no such configuration file$"):
        load_settings(str(missing), environ={})


def test_settings_are_read_only_and_typed(tmp_path):
    config = write(tmp_path / "config.yml", "lock_wait: 5\nserver_wait: 1\n")
    settings = load_settings(str(config), environ={})
    assert settings.lock_wait == 5.0 and isinstance(settings.lock_wait, float)
    assert isinstance(settings.server_wait, float)
    with pytest.raises(AttributeError):
        settings.lock_wait = 1
    with pytest.raises(TypeError):
        settings["components"]["asterisk"]["version_table"] = "other"


def test_a_key_added_to_the_table_is_defaulted_and_checked(tmp_path, monkeypatch):
    from manage_db.config import KEYS, Key

    monkeypatch.setitem(KEYS, "bus.port", Key(5672, int))
    monkeypatch.setitem(KEYS, "statement_timeout", Key(0.0, (int, float)))
    config = write(tmp_path / "config.yml", "statement_timeout: 2\n")
    settings = load_settings(str(config), environ={})
    assert settings.bus["port"] == 5672
    assert settings.statement_timeout == 2
    write(tmp_path / "config.yml", "bus:\n  port: many\n")
    with pytest.raises(ConfigError, match="'bus.port' must be int, not str"):
        load_settings(str(config), environ={})


def test_the_user_must_exist_only_when_it_was_named(tmp_path):
    config = write(tmp_path / "config.yml", "")
    assert not load_settings(str(config), environ={}).user_required
    write(tmp_path / "config.yml", "user: someone\n")
    assert load_settings(str(config), environ={}).user_required
    assert load_settings(None, {"user": "x"}, environ={}).user_required


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("components:\n  asterisk:\n    extensions: [1, 2]\n", "must be a list of str, not of int"),
        ("lock_wait: -1\n", "lock_wait: must not be negative"),
        ("admin_uri: 'postgresql://u:pw@h:port/db'\n", "port 'port' is not a number"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path, text, message):
    config = write(tmp_path / "config.yml", text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings(str(config), environ={})
    assert str(config) in str(raised.value) and "pw" not in str(raised.value)


def test_a_yaml_error_says_what_pyyaml_says(tmp_path):
    # libyaml parses (when PyYAML has it); its messages say less, so an error is PyYAML's own.
    config = write(tmp_path / "config.yml", "log_level: info\ncomponents:\n\t- a\n")
    with pytest.raises(ConfigError) as error:
        load_settings(str(config), environ={})
    assert str(error.value) == (
        f"{config}: invalid YAML (line 3, column 1): found character '\\t' that cannot start any "
        "token"
    )


def test_a_configuration_reads_as_pyyaml_reads_it(tmp_path):
    shipped = Path(__file__).resolve().parents[2] / "etc" / "wazo-manage-db" / "config.yml"
    text = shipped.read_text(encoding="utf-8") + (
        "components:\n"
        "  auth: &common\n"
        "    database: wazo-auth\n"
        "    depends_on: [asterisk]\n"
        "    lock_timeout: 2.5\n"
        "    lock_retries: 0x10\n"
        "    enabled: yes\n"
        "    password: 'it''s'\n"
        "    since: 2001-12-14\n"
        "    note: |\n"
        "      two\n"
        "      lines\n"
        "  chatd:\n"
        "    <<: *common\n"
        "    owner: ~\n"
    )
    copy = write(tmp_path / "config.yml", text)
    assert parse_yaml(copy) == yaml.safe_load(text)
    assert parse_yaml(copy)["components"]["chatd"]["lock_retries"] == 16
