"""The `massline` console command: the project's manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[:]
    argv[0] = "massline"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
