from django.db import migrations

# Recording campaign actions done (with evidence) at an organization: its administrators,
# campaign offices and system administrators (decision 0017).
ADDED = {
    "system_admin": ["campaigns.record"],
    "campaign_office": ["campaigns.record"],
    "org_admin": ["campaigns.record"],
}


def add_record_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_record_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0007_campaign_permissions")]
    operations = [migrations.RunPython(add_record_permission, remove_record_permission)]
