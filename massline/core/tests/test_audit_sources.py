"""Every write goes through a service, and so does every audit row: the source says so."""

from __future__ import annotations

import ast
from pathlib import Path

import massline

ROOT = Path(massline.__file__).resolve().parent

# Modules that are a service layer of their own without being called services.py, each
# writing the audit row of its write in that write's transaction.
SERVICE_MODULES = {
    "core/audit.py",  # audit_record itself
    "core/jobs.py",  # retry: a system administrator tries a failed job again
    "core/schedule.py",  # run_now: a system administrator runs a periodic task now
    "orgs/divisions.py",  # load_divisions: the division loader
    "members/importer.py",  # the roster import's apply step, until it moves to:
    "members/roster_import/apply.py",  # the roster import's apply step
    "members/roster_export/job.py",  # record_export and the export job
    "access/auditlog/export.py",  # the audit log export job and its own audit rows
    "campaigns/schedule_services.py",  # the schedule's apply and overrides
    "campaigns/action_services.py",  # actions defined, completions recorded and withdrawn
    "campaigns/coverage_services.py",  # members reached, recorded and taken back
    "campaigns/overview_export.py",  # a list of the overview to .xlsx and its own audit row
    "opinions/dispatch_services.py",  # the dispatch steps and the overdue escalation
    "opinions/intake_services.py",  # opinions entered by staff, forums
    "opinions/hotline_import.py",  # a hotline or petition file imported at once
    "rectification/fix_services.py",  # fixes: created, every step, moves
    "rectification/problem_services.py",  # problems: recorded, escalated, claimed, declined
    "rectification/evaluation_services.py",  # evaluation codes issued (never an evaluation)
    "rectification/ledger_export.py",  # the ledger export job and its own audit row
    "demo/skeleton.py",  # generate_orgs
    "demo/members/load.py",  # generate_members
}


def _writes_audit(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "audit_record"
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "audit_record":
        return True
    manager = func.value
    return (
        func.attr in ("create", "bulk_create", "get_or_create", "update_or_create")
        and isinstance(manager, ast.Attribute)
        and manager.attr == "objects"
        and isinstance(manager.value, ast.Name)
        and manager.value.id == "AuditEvent"
    )


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
        and path.name != "conftest.py"
    ]


def test_audit_is_written_only_from_services():
    # given every module of massline but tests and migrations
    sources = _sources()
    # when
    offenders = []
    for path in sources:
        name = path.relative_to(ROOT).as_posix()
        if path.name == "services.py" or name in SERVICE_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{name}:{n.lineno}" for n in ast.walk(tree) if _writes_audit(n)]
    # then
    assert len(sources) > 50
    assert offenders == [], "audit rows written outside a service: " + ", ".join(offenders)


def test_the_check_sees_each_way_of_writing_an_audit_row():
    # given / when / then
    for code in (
        "audit_record(actor=None, action='x')",
        "audit.audit_record(actor=None, action='x')",
        "AuditEvent.objects.create(action='x')",
        "AuditEvent.objects.bulk_create([])",
    ):
        assert any(_writes_audit(n) for n in ast.walk(ast.parse(code))), code
    assert not any(_writes_audit(n) for n in ast.walk(ast.parse("Member.objects.create()")))
