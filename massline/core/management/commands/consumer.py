from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = (
        "Run background jobs and scheduled tasks from the queue (Huey's consumer, with its "
        "scheduler; -w N workers, -n without the scheduler). Run any number, on any number of "
        "machines, against one queue (MASSLINE_QUEUE_URL)."
    )
