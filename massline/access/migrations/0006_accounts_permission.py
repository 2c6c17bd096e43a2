from django.db import migrations

# System and organization administrators reset passwords and unlock accounts of users under them.
ADDED = {
    "system_admin": ["accounts.manage"],
    "org_admin": ["accounts.manage"],
}


def add_accounts_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_accounts_permission(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0005_transfer_permission")]
    operations = [migrations.RunPython(add_accounts_permission, remove_accounts_permission)]
