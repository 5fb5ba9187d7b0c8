"""Configuration files' data comes from a per-user cache while the file is unchanged."""

from __future__ import annotations

import datetime
import os

import pytest

from manage_db import config
from manage_db.config import load_settings
from manage_db.dao import config_cache, user_cache
from manage_db.errors import ConfigError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(user_cache, "RACY_NS", 0)  # files written a moment ago count as settled
    config_cache._CACHE.forget()
    yield tmp_path / "cache" / "wazo-manage-db" / "config-1.json"
    config_cache._CACHE.forget()  # the next test reads the real cache afresh


def write(path, text):
    path.write_text(text)
    return path


def no_yaml(path):
    raise AssertionError(f"{path} parsed again")


def fresh_process(monkeypatch):
    config_cache._CACHE.forget()


def test_an_unchanged_file_is_not_parsed_again(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "config.yml", "log_level: error\nplugins: false\n")
    assert load_settings(str(path)).log_level == "error"
    assert cache.exists()
    fresh_process(monkeypatch)
    monkeypatch.setattr(config, "parse_yaml", no_yaml)
    settings = load_settings(str(path))
    assert (settings.log_level, settings.plugins) == ("error", False)


def test_an_edit_is_seen_even_with_the_size_and_times_put_back(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "config.yml", "log_level: error\n")
    assert load_settings(str(path)).log_level == "error"
    stat = path.stat()
    write(path, "log_level: debug\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh_process(monkeypatch)
    assert load_settings(str(path)).log_level == "debug"


def test_conf_d_files_are_cached_and_checked_every_time(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "config.yml", "log_level: error\n")
    (tmp_path / "conf.d").mkdir()
    extra = write(tmp_path / "conf.d" / "10-lock.yml", "lock_wait: 7\n")
    assert load_settings(str(path)).lock_wait == 7.0
    write(extra, "lock_wait: -1\n")  # a bad value: the check runs on cached data too
    fresh_process(monkeypatch)
    with pytest.raises(ConfigError, match="lock_wait: must not be negative"):
        load_settings(str(path))
    fresh_process(monkeypatch)
    with pytest.raises(ConfigError, match="lock_wait: must not be negative"):
        load_settings(str(path))


def test_a_file_changed_in_the_last_seconds_is_not_cached(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(user_cache, "RACY_NS", 10**12)
    path = write(tmp_path / "config.yml", "log_level: error\n")
    load_settings(str(path))
    assert not cache.exists()


def test_data_json_cannot_carry_is_read_again(tmp_path, cache):
    path = write(tmp_path / "dates.yml", "")
    reads = []

    def read(p):
        reads.append(p)
        return {"when": datetime.date(2026, 1, 1), "by_number": {1: "one"}}

    assert config_cache.cached_data(path, read) == config_cache.cached_data(path, read)
    assert len(reads) == 2


def test_a_cache_others_may_write_is_ignored(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "config.yml", "log_level: error\n")
    load_settings(str(path))
    os.chmod(cache, 0o666)
    fresh_process(monkeypatch)
    monkeypatch.setattr(config, "parse_yaml", no_yaml)
    with pytest.raises(AssertionError, match="parsed again"):
        load_settings(str(path))


def test_a_broken_file_is_an_error_every_time(tmp_path, cache, monkeypatch):
    path = write(tmp_path / "config.yml", "log_level: [\n")
    for _ in range(2):
        fresh_process(monkeypatch)
        with pytest.raises(ConfigError, match="invalid YAML"):
            load_settings(str(path))
    assert not cache.exists()
