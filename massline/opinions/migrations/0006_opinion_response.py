"""The response figures of an opinion (the response rate, decision 0022 "The three rates"):
`response` is set once, at the first contact or reply, in time when at or before the time
limit; an opinion the escalation sweep flagged before either is late. Existing rows are filled
from the times they carry. Run `massline rebuild-counters` afterwards to count them."""

from django.db import migrations, models
from django.db.models import F, Q


def fill(apps, schema_editor):
    Opinion = apps.get_model("opinions", "Opinion")
    answered = Q(first_contact_at__isnull=False) | Q(replied_at__isnull=False)
    # the first answer: the contact, or the reply when there was no contact before it
    first_contact = Q(first_contact_at__isnull=False)
    in_time = (first_contact & Q(first_contact_at__lte=F("due_at"))) | (
        Q(first_contact_at__isnull=True) & Q(replied_at__lte=F("due_at"))
    )
    due = Opinion.objects.filter(due_at__isnull=False)
    due.filter(answered & in_time).update(response="in_time")
    due.filter(answered & ~in_time).update(response="late")
    # flagged by the sweep before any answer
    Opinion.objects.filter(~answered, overdue=True).update(response="late")
    # answered without a time limit (not dispatched through the map): in time
    Opinion.objects.filter(answered, due_at__isnull=True).update(response="in_time")


class Migration(migrations.Migration):
    dependencies = [("opinions", "0005_ticket_number")]

    operations = [
        migrations.AddField(
            model_name="opinion",
            name="response",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "not yet due"),
                    ("in_time", "answered in time"),
                    ("late", "answered late or not at all"),
                ],
                default="",
                max_length=8,
                verbose_name="response",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
