"""Plugin entry points come from a per-user cache, read again when a distribution changes."""

from __future__ import annotations

import shutil

import pytest

from manage_db.dao import user_cache
from manage_db.dao.entry_points import group_entry_points, load_entry_point

GROUP = "wazo_manage_db.components"


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # Files written a moment ago count as settled (else none would be cached within a test).
    monkeypatch.setattr(user_cache, "RACY_NS", 0)
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    return directory


def install(site, name, points):
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    entry_points = info / "entry_points.txt"
    entry_points.write_text(f"[{GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    return info


def test_installing_editing_and_removing_a_distribution_is_seen(site):
    assert group_entry_points(GROUP) == []
    info = install(site, "wazo_fake", {"fake": "wazo_fake:COMPONENT"})
    assert group_entry_points(GROUP) == [("fake", "wazo_fake:COMPONENT")]
    assert group_entry_points(GROUP) == [("fake", "wazo_fake:COMPONENT")]  # from the cache
    install(site, "wazo_fake", {"fake": "wazo_fake:OTHER"})
    assert group_entry_points(GROUP) == [("fake", "wazo_fake:OTHER")]
    shutil.rmtree(info)
    assert group_entry_points(GROUP) == []


def test_an_unreadable_cache_is_read_again_from_the_distributions(site, tmp_path):
    install(site, "wazo_fake", {"fake": "wazo_fake:COMPONENT"})
    group_entry_points(GROUP)
    (cache,) = (tmp_path / "cache" / "wazo-manage-db").glob("entry-points-*.json")
    cache.write_text("{not json")
    assert group_entry_points(GROUP) == [("fake", "wazo_fake:COMPONENT")]


def test_a_reference_names_a_module_attribute_path(site):
    (site / "wazo_fake_module.py").write_text("class Holder:\n    COMPONENT = {'a': 1}\n")
    assert load_entry_point("wazo_fake_module:Holder.COMPONENT [extra]") == {"a": 1}
    with pytest.raises(ModuleNotFoundError):
        load_entry_point("no_such_module_anywhere:X")
