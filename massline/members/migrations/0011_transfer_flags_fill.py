"""Transfers made before the counter flags: those done this year are flagged so; the daily
sweep flags the overdue ones. Run `massline rebuild-counters` afterwards to count them."""

import datetime as dt

from django.db import migrations
from django.utils import timezone


def fill(apps, schema_editor):
    Transfer = apps.get_model("members", "Transfer")
    year_start = dt.datetime(
        timezone.localdate().year, 1, 1, tzinfo=timezone.get_current_timezone()
    )
    Transfer.objects.filter(status="done", closed_at__gte=year_start).update(done_this_year=True)


class Migration(migrations.Migration):
    dependencies = [("members", "0010_transfer_counter_flags")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
