"""Run shell commands at the same time and show each one's output in turn when it ends, so
the two test suites (SQLite and PostgreSQL) share the machine's cores instead of queueing.
Exits with the first failing command's status; 0 when all pass.

    python tools/run_together.py "make test-sqlite" "make test-postgres"
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack


def main(commands: list[str]) -> int:
    started = time.monotonic()
    status = 0
    with ExitStack() as stack:
        running = []
        for command in commands:
            out = stack.enter_context(tempfile.TemporaryFile())
            process = subprocess.Popen(command, shell=True, stdout=out, stderr=subprocess.STDOUT)
            running.append((command, out, process))
        for command, out, process in running:
            code = process.wait()
            out.seek(0)
            print(f"== {command} (exit {code}, {time.monotonic() - started:.0f} s from the start)")
            sys.stdout.flush()
            sys.stdout.buffer.write(out.read())
            sys.stdout.flush()
            status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
