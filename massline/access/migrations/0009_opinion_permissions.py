from django.db import migrations

# Opinions (decision 0021): reading them, entering those heard in person, dispatching them
# (campaign offices) and handling those dispatched to an organization.
ADDED = {
    "system_admin": ["opinions.view", "opinions.enter", "opinions.dispatch", "opinions.handle"],
    "campaign_office": ["opinions.view", "opinions.enter", "opinions.dispatch", "opinions.handle"],
    "org_admin": ["opinions.view", "opinions.enter", "opinions.handle"],
    "supervisor": ["opinions.view"],
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
    dependencies = [("access", "0008_campaign_record_permission")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
