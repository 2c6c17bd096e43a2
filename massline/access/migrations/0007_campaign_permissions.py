from django.db import migrations

# Campaign offices set up campaigns (and system administrators, who hold every permission);
# organization administrators and supervision teams see them.
ADDED = {
    "system_admin": ["campaigns.view", "campaigns.manage"],
    "campaign_office": ["campaigns.view", "campaigns.manage"],
    "org_admin": ["campaigns.view"],
    "supervisor": ["campaigns.view"],
}


def add_campaign_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = list(dict.fromkeys([*role.permissions, *perms]))
            role.save(update_fields=["permissions"])


def remove_campaign_permissions(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for code, perms in ADDED.items():
        for role in Role.objects.filter(code=code, is_builtin=True):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("access", "0006_accounts_permission")]
    operations = [migrations.RunPython(add_campaign_permissions, remove_campaign_permissions)]
