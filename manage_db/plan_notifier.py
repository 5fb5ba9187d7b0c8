"""How a plan is told: a readable report per component, or JSON for scripts and logs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from manage_db.plan_model import ComponentPlan, StatementPlan
from manage_db.replication.notifier import replication_line


def _size(total_bytes: int) -> str:
    size = float(total_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{total_bytes} B"


def render_plan(plans: Sequence[ComponentPlan], as_json: bool = False) -> str:
    """The plan of every component."""
    if as_json:
        return json.dumps([p.to_dict() for p in plans], indent=2)
    lines: list[str] = []
    for plan in plans:
        if plan.error:
            lines.append(f"{plan.component}: error: {plan.error}")
            continue
        current = ",".join(plan.current) or "base"
        if not plan.revisions:
            lines.append(f"{plan.component}: at head ({current}), nothing to plan")
            if plan.replication is not None:
                lines.append(f"  {replication_line(plan.replication)}")
            continue
        lines.append(
            f"{plan.component}: {len(plan.revisions)} pending revision(s) from {current} "
            f"to {','.join(plan.heads)}"
        )
        for revision in plan.revisions:
            message = f" {revision.message}" if revision.message else ""
            lines.append(f"  {revision.revision}{message}: {revision.verdict}")
            for reason in revision.reasons:
                lines.append(f"    - {reason}")
            for statement in revision.statements:
                lines.extend(_statement_lines(plan, statement))
        for table in plan.tables.values():
            for holder in table.holders:
                lines.append(f"  {table.name} held now by {holder}")
        for transaction in plan.long_transactions:
            lines.append(f"  long transaction: {transaction}")
        if plan.replication is not None:
            lines.append(f"  {replication_line(plan.replication)}")
        failing = sum(1 for r in plan.revisions if r.verdict == "would fail")
        lines.append(
            f"  {plan.component}: {'would fail' if failing else 'would succeed'}"
            + (f" ({failing} revision(s))" if failing else "")
        )
    return "\n".join(lines)


def _statement_lines(plan: ComponentPlan, statement: StatementPlan) -> list[str]:
    """What one statement does to an existing table (nothing for one that touches none)."""
    lines: list[str] = []
    if statement.table is None:
        return []
    facts = plan.tables.get(statement.table)
    what = [statement.lock or "no blocking table lock"]
    if statement.rewrites:
        what.append("rewrites the table")
        if statement.wal_bytes is not None:
            what.append(f"~{_size(statement.wal_bytes)} of WAL for the standbys")
    elif statement.scans:
        what.append("scans the table")
    if facts:
        what.append(f"{facts.name}: ~{facts.estimated_rows} rows, {_size(facts.total_bytes)}")
    lines.append(f"    {_short(statement.sql)}")
    lines.append(f"      {'; '.join(what)}")
    for check in statement.checks:
        if check.error and check.failing_rows is None:
            lines.append(f"      not checked: {check.description}: {check.error}")
            continue
        samples = f" (e.g. {', '.join(check.sample_keys)})" if check.sample_keys else ""
        state = "FAILS" if check.fails else "ok"
        lines.append(f"      {state}: {check.description}: {check.failing_rows}{samples}")
    for note in statement.notes:
        lines.append(f"      note: {note}")
    return lines


def _short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
