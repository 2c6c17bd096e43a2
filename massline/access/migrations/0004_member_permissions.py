from django.db import migrations

ADDED = {
    "system_admin": ["members.view", "members.manage", "members.view_sensitive"],
    "campaign_office": ["members.view"],
    "org_admin": ["members.view", "members.manage", "members.view_sensitive"],
    "supervisor": ["members.view"],
}


def add_member_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_member_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0003_builtin_roles")]
    operations = [migrations.RunPython(add_member_permissions, remove_member_permissions)]
