from django.db import migrations

# Rectification (decision 0022): reading problems and fixes, keeping them (the responsible
# organization), and approving the level below's extensions and close-outs.
ADDED = {
    "system_admin": ["rectification.view", "rectification.manage", "rectification.approve"],
    "campaign_office": ["rectification.view", "rectification.manage", "rectification.approve"],
    "org_admin": ["rectification.view", "rectification.manage", "rectification.approve"],
    "supervisor": ["rectification.view"],
}


def add_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0009_opinion_permissions")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
