from django.core.management.base import BaseCommand

from massline.core import jobs


class Command(BaseCommand):
    help = "Run background jobs (imports, large exports) as they are queued."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="run the jobs waiting now, then stop"
        )

    def handle(self, *args, once, **options):
        ran = jobs.work(once=once)
        if once:
            self.stdout.write(f"{ran}")
