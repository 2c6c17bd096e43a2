"""Failed sign-ins are counted across every web process of the embedded default, tried for
real: two web servers (gunicorn, one process each) on the same installation (a SQLite file
and the shared cache on disk in a temporary folder) take wrong passwords in turn, then all at
once, and the limit holds in total, not per process.

It builds its own installation, so it runs once, in the SQLite suite."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, on the embedded default"
)

PASSWORD = "a-long-right-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    def __init__(self, root: Path, limit: int) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "MASSLINE_QUEUE_URL": "",
            "MASSLINE_VAR_DIR": str(root),
            "LOGIN_FAILURE_LIMIT": str(limit),
            "LOGIN_FAILURE_WINDOW": "600",
            "LOG_LEVEL": "WARNING",
        }
        self.processes: list[subprocess.Popen] = []
        self.urls: list[str] = []

    def massline(self, *args: str, **env: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "massline", *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def start(self) -> None:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / f"web-{port}.log").open("w"),
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/accounts/login/", timeout=5) as r:
                    assert r.status == 200
                    break
            except (OSError, urllib.error.URLError):
                assert process.poll() is None, (self.root / f"web-{port}.log").read_text()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        self.urls.append(url)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def sign_in(url: str, username: str, password: str) -> int:
    """POST /api/v1/auth/token; the status it answers."""
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        url + "/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def servers(tmp_path):
    s = Servers(tmp_path, limit=6)
    s.massline("migrate", "--no-input", "-v", "0")
    s.massline("create-user", "wangfang", MASSLINE_PASSWORD=PASSWORD)
    s.massline("create-user", "lihua", MASSLINE_PASSWORD=PASSWORD)
    s.start()
    s.start()
    yield s
    s.stop()


def test_failures_sent_to_two_web_processes_in_turn_count_together(servers):
    # given: two web processes, and a limit of 6 failures
    first, second = servers.urls
    assert sign_in(first, "wangfang", PASSWORD) == 200
    # when: six wrong passwords, three to each process in turn
    answers = [sign_in((first, second)[i % 2], "wangfang", "wrong") for i in range(6)]
    # then: all six were refused as wrong; each process alone saw only three, yet both now
    # refuse the user, even with the right password
    assert answers == [401] * 6
    assert sign_in(first, "wangfang", PASSWORD) == 429
    assert sign_in(second, "wangfang", PASSWORD) == 429
    # and another user is not affected
    assert sign_in(second, "lihua", PASSWORD) == 200


def test_failures_sent_to_both_at_once_are_all_counted(servers):
    # given
    urls = servers.urls
    # when: the limit's worth of wrong passwords, eight at a time, across both processes
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: sign_in(urls[i % 2], "lihua", "wrong"), range(6)))
    # then: none was refused before its turn (each is checked before it is counted), and
    # every one was counted: the next attempt is refused on either process
    assert answers == [401] * 6
    assert sign_in(urls[0], "lihua", PASSWORD) == 429
    assert sign_in(urls[1], "lihua", PASSWORD) == 429
