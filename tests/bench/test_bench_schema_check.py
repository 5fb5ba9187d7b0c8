"""The check-models benchmark's generated tree and models agree: the timing compares like with
like (check-models has nothing to report, alembic check nothing to detect)."""

from __future__ import annotations

from pathlib import Path

import bench_schema_check

from manage_db.models import Component
from manage_db.schema_check.models_service import check_models


def test_generated_models_match_their_migrations(tmp_path: Path, pg_admin_uri: str) -> None:
    location = bench_schema_check.write_tree(tmp_path, 6)
    component = Component(
        name="bench",
        script_location=location,
        database="",
        owner="",
        version_table=bench_schema_check.VERSION_TABLE,
    )
    report = check_models(component, "bench_models:Base", pg_admin_uri)
    assert report.revisions == ("0005bench0000",)
    assert [str(d) for d in report.differences] == []
