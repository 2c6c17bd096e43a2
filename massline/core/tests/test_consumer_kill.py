"""Nothing dies silently, tried for real: consumers are separate processes of the embedded
default (the queue in a SQLite file, the shared cache on disk), one is killed with SIGKILL
in the middle of writing a roster import, and another deals with the job. Then the same with
an export, which is safe to repeat and runs again.

It builds its own installation in a temporary folder (its own SQLite database), so it runs
once, in the SQLite suite."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 120_000
#: The deadline the platform promises (the settings below make it about 6 seconds).
PROMISE = 60.0

SETUP = """
from massline.accounts.models import User
from massline.orgs.models import OrgKind, UnitType
from massline.orgs.services import org_create
root = org_create(actor=None, parent=None, code="150000000000", name="中共内蒙古自治区委员会",
                  kind=OrgKind.COMMITTEE, unit_type=UnitType.AGENCY)
town = org_create(actor=None, parent=root, code="150102101000", name="中共保合少镇委员会",
                  kind=OrgKind.COMMITTEE, unit_type=UnitType.RURAL)
for i in range(1, 9):
    org_create(actor=None, parent=town, code=f"15010210120{i}", name=f"中共第{i}村支部委员会",
               kind=OrgKind.BRANCH, unit_type=UnitType.RURAL)
import datetime
from massline.access.models import DataScope, Role
from massline.access.services import assignment_create, roles_ensure_builtin
roles_ensure_builtin(actor=None)
user = User.objects.create_superuser("root", password="x-very-long-pass")
assignment_create(actor=None, user=user, role=Role.objects.get(code="system_admin"), org=root,
                  scope=DataScope.SUBTREE, valid_from=datetime.date(2020, 1, 1), valid_to=None,
                  custom_orgs=[])
"""

QUEUE_IMPORT = """
import shutil, sys
from pathlib import Path
from massline.accounts.models import User
from massline.members.roster_import.jobs import start_import
source = Path(sys.argv[-1])
copy = source.with_name("upload-" + source.name)
shutil.copyfile(source, copy)
job = start_import(actor=User.objects.get(username="root"), upload=copy,
                   file_name="roster.csv", dry_run=False)
print(job.pk)
"""

QUEUE_EXPORT = """
from massline.accounts.models import User
from massline.core import jobs
from massline.members import roster_export
job = jobs.enqueue(roster_export.JOB_KIND, actor=User.objects.get(username="root"),
                   params=roster_export.job_params({}, "xlsx", "zh-hans"))
print(job.pk)
"""

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, on the embedded default"
)


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "DATABASE_URL": "",
            "MASSLINE_VAR_DIR": str(root),
            "MASSLINE_JOBS_MODE": "queue",
            "MASSLINE_QUEUE_URL": "",
            "REDIS_URL": "",
            "MASSLINE_JOB_HEARTBEAT": "1",
            "MASSLINE_JOB_HEARTBEAT_TTL": "3",
            "MASSLINE_JOB_RETRY_DELAY": "1",
            "LOG_LEVEL": "WARNING",
        }
        self.consumers: list[subprocess.Popen] = []

    def massline(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "massline", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def shell(self, code: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _BOOT + code, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def consumer(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "massline", "consumer", "-w", "1"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / f"consumer-{len(self.consumers)}.log").open("w"),
        )
        self.consumers.append(process)
        return process

    def job(self, job_id: int) -> dict:
        with sqlite3.connect(f"file:{self.root / 'massline.sqlite3'}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM core_job WHERE id = ?", (job_id,)).fetchone()
            return dict(row)

    def count(self, table: str) -> int:
        with sqlite3.connect(f"file:{self.root / 'massline.sqlite3'}?mode=ro", uri=True) as db:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def phase(self, job_id: int) -> str:
        try:
            data = json.loads((self.root / "jobs" / str(job_id) / "progress.json").read_text())
        except (OSError, ValueError):
            return ""
        return str(data.get("phase") or "")

    def wait(self, what, seconds: float, step: float = 0.05):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            time.sleep(step)
        raise AssertionError(f"not within {seconds} s")

    def stop(self) -> None:
        for process in self.consumers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


_BOOT = (
    "import django, os\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
    "django.setup()\n"
)


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    s.massline("migrate", "--no-input", "-v", "0")
    s.shell(SETUP)
    s.massline(
        "generate-members",
        "--count",
        str(ROWS),
        "--output",
        str(tmp_path / "roster.csv"),
        "--no-progress",
    )
    yield s
    s.stop()


def kill_worker_of(site: Site, job_id: int) -> float:
    """SIGKILL the consumer process running the job (its pid is in the job's `worker`)."""
    pid = int(site.job(job_id)["worker"].split(":")[1])
    victim = next(p for p in site.consumers if p.pid == pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    return time.monotonic()


def test_a_killed_consumer_leaves_no_job_running_and_no_half_import(site):
    site.consumer()
    site.consumer()
    job_id = int(site.shell(QUEUE_IMPORT, str(site.root / "roster.csv")))
    site.wait(lambda: site.phase(job_id) == "writing", 120)
    killed = kill_worker_of(site, job_id)
    assert site.job(job_id)["status"] == "running", (
        site.job(job_id),
        list(site.root.glob("*.log")),
        [p.read_text()[-2000:] for p in site.root.glob("*.log")],
    )

    job = site.wait(lambda: (j := site.job(job_id))["status"] != "running" and j, PROMISE, step=0.2)
    took = time.monotonic() - killed
    assert job["status"] == "failed", job
    assert "名册" in job["error"] and "重新" in job["error"], job["error"]
    assert took < PROMISE
    assert site.count("members_member") == 0  # the import is all or nothing
    site.massline("rebuild-counters", "--check")  # exit 0: counters match the records

    # Two live consumers leave each other's work alone: an export longer than the
    # heartbeat's lifetime finishes on its first attempt.
    site.massline("import-members", str(site.root / "roster.csv"))
    assert site.count("members_member") == ROWS
    site.consumer()
    export_id = int(site.shell(QUEUE_EXPORT))
    job = site.wait(lambda: (j := site.job(export_id))["status"] == "done" and j, 180, step=0.2)
    assert job["attempts"] == 1

    # An export is safe to repeat: its consumer killed, it runs again and finishes.
    export_id = int(site.shell(QUEUE_EXPORT))
    site.wait(lambda: site.phase(export_id) == "writing", 120)
    kill_worker_of(site, export_id)
    job = site.wait(lambda: (j := site.job(export_id))["status"] == "done" and j, 180, step=0.2)
    assert job["attempts"] == 2
    result = json.loads(job["result"])
    assert result["count"] == ROWS
    assert (site.root / "jobs" / str(export_id) / result["files"][0]["name"]).stat().st_size
