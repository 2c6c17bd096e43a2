"""`massline serve`: the web server and a queue consumer together, for one machine (`make
demo`). Ctrl-C (or SIGTERM) stops both. A consumer that dies is started again, as a service
manager would in production, so a job it was running is dealt with by the new one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from massline.core.server import web_command

#: Seconds between checks that both are running.
TICK = 0.5
#: A consumer that dies this soon after starting is not started again at once.
RESTART_AFTER = 2.0


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn) and a queue consumer with its scheduler; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--consumer-workers", type=int, default=2)

    def handle(self, *args: Any, bind: str, web_workers: int, consumer_workers: int, **options):
        web_cmd = web_command(bind, web_workers)
        consumer_cmd = [sys.executable, "-m", "massline", "consumer", "-w", str(consumer_workers)]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        web = subprocess.Popen(web_cmd)
        consumer = subprocess.Popen(consumer_cmd)
        started = time.monotonic()
        try:
            while not stopping:
                time.sleep(TICK)
                if web.poll() is not None:
                    self.stderr.write(f"the web server stopped (exit {web.returncode})")
                    break
                if consumer.poll() is not None and time.monotonic() - started > RESTART_AFTER:
                    self.stderr.write(
                        f"the consumer stopped (exit {consumer.returncode}); starting it again"
                    )
                    consumer = subprocess.Popen(consumer_cmd)
                    started = time.monotonic()
        finally:
            for process in (web, consumer):
                if process.poll() is None:
                    process.terminate()
            for process in (web, consumer):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
