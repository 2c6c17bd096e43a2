from django.db import migrations


def create_builtin_roles(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    roles = {
        "system_admin": ("系统管理员", ["orgs.view", "orgs.manage", "stats.view", "audit.view", "access.manage"]),
        "campaign_office": ("活动办", ["orgs.view", "orgs.manage", "stats.view", "audit.view", "access.manage"]),
        "org_admin": ("组织管理员", ["orgs.view", "orgs.manage", "stats.view", "audit.view"]),
        "supervisor": ("督导组成员", ["orgs.view", "stats.view"]),
        "member": ("党员", ["orgs.view"]),
    }
    for code, (name, perms) in roles.items():
        Role.objects.get_or_create(code=code, defaults={"name": name, "permissions": perms, "is_builtin": True})


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]
    operations = [migrations.RunPython(create_builtin_roles, migrations.RunPython.noop)]
