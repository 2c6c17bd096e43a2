"""Existing transfers get their sending side's committee: the parent of the sending branch
(the branch itself when it has none), with its path."""

from django.db import migrations


def fill(apps, schema_editor):
    Transfer = apps.get_model("members", "Transfer")
    Organization = apps.get_model("orgs", "Organization")
    for t in Transfer.objects.filter(from_committee__isnull=True).iterator(2000):
        org = Organization.objects.get(pk=t.from_org_id)
        committee = Organization.objects.get(pk=org.parent_id) if org.parent_id else org
        t.from_committee_id = committee.pk
        t.from_committee_path = committee.path
        t.save(update_fields=["from_committee", "from_committee_path"])


class Migration(migrations.Migration):
    dependencies = [("members", "0008_transfer_letter"), ("orgs", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
