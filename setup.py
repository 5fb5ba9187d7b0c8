"""Build: the package, plus the platform tree (``alembic/`` and ``alembic.ini`` at the repo root,
where developers and ``alembic`` itself want them) copied into ``manage_db/platform/`` so that an
installed wheel carries it and the default ``script_location`` works outside the .deb."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithPlatformTree(build_py):
    """build_py that also copies the platform tree into the built package."""

    def run(self):
        super().run()
        if self.editable_mode:  # an editable install runs from the checkout, tree included
            return
        target = Path(self.build_lib) / "manage_db" / "platform"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(
            ROOT / "alembic", target / "alembic", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copy2(ROOT / "alembic.ini", target / "alembic.ini")


setup(cmdclass={"build_py": BuildWithPlatformTree})
