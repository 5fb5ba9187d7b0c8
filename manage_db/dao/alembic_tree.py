"""Driving alembic in-process for one component's tree.

Stock daemon trees keep their own env.py, which reads ``ALEMBIC_DB_URI``: we set it (pinned to
psycopg2) for the duration of one alembic command. Our own env.py also reads the options we pass
in ``config.attributes['manage_db']``.
"""

from __future__ import annotations

import configparser
import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from manage_db.models import Component


def make_config(component: Component, url: str | None, **options: Any) -> Any:
    """An alembic Config for the tree, with the ini options of an ``alembic.ini`` beside it."""
    from alembic.config import Config

    config = Config()
    ini = Path(component.script_location).parent / "alembic.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
        parser.read(ini, encoding="utf-8")
        if parser.has_section("alembic"):
            for key, value in parser.items("alembic"):
                if key != "here":
                    config.set_main_option(key, value.replace("%", "%%"))
    config.set_main_option("script_location", str(component.script_location))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["manage_db"] = {
        "url": url,
        "version_table": component.version_table,
        "schema": component.schema,
        **options,
    }
    return config


@contextlib.contextmanager
def alembic_db_uri(url: str | None) -> Iterator[None]:
    """Set ALEMBIC_DB_URI for a stock env.py, restoring the previous value afterwards."""
    previous = os.environ.get("ALEMBIC_DB_URI")
    if url:
        os.environ["ALEMBIC_DB_URI"] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ALEMBIC_DB_URI", None)
        else:
            os.environ["ALEMBIC_DB_URI"] = previous


def run_command(
    component: Component,
    url: str | None,
    name: str,
    *args: Any,
    on_version_apply: Callable[..., None] | None = None,
    **kwargs: Any,
) -> None:
    """Run ``alembic.command.<name>(config, *args, **kwargs)`` against the component's tree."""
    from alembic import command

    config = make_config(component, url, on_version_apply=on_version_apply)
    with alembic_db_uri(url), _version_callback(on_version_apply):
        getattr(command, name)(config, *args, **kwargs)


@contextlib.contextmanager
def _version_callback(callback: Callable[..., None] | None) -> Iterator[None]:
    """Hand ``callback`` to whatever env.py configures (a stock one never passes it)."""
    from alembic.runtime.environment import EnvironmentContext

    original = EnvironmentContext.configure
    if callback is None:
        yield
        return

    def configure(self: Any, **options: Any) -> None:
        given = options.get("on_version_apply") or ()
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        options["on_version_apply"] = [c for c in given if c is not callback] + [callback]
        original(self, **options)

    EnvironmentContext.configure = configure  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        EnvironmentContext.configure = original  # type: ignore[method-assign]
