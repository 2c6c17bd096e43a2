from django.db import migrations

# The built-in roles that keep the roster (members.manage) also handle transfers.
ADDED = {
    "system_admin": ["members.transfer"],
    "org_admin": ["members.transfer"],
}


def add_transfer_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_transfer_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0004_member_permissions")]
    operations = [migrations.RunPython(add_transfer_permission, remove_transfer_permission)]
