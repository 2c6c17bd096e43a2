"""The built-in campaign templates: the record of past campaigns (how they were phased,
batched and rolled out), written here as the project's own data. Source ids and dates are
kept; a month is its first day, an end month its last day."""

import datetime as dt

from django.db import migrations

D = dt.date

TEMPLATES = [
    {
        "code": "mass-line-2013",
        "title": "党的群众路线教育实践活动（2013—2014）",
        "kind": "mass_line",
        "phased": True,
        "phases": [
            ("learn", "学习教育、听取意见"),
            ("review", "查摆问题、开展批评"),
            ("rectify", "整改落实、建章立制"),
        ],
        "batches": [
            {"name": "第一批", "starts_on": D(2013, 6, 1), "scope": "省部级、地市级领导机关和领导班子"},
            {
                "name": "第二批",
                "starts_on": D(2014, 1, 1),
                "scope": "市县及以下",
                "duration_months": 8,
                "ends_on": D(2014, 9, 30),
            },
        ],
        # seed document 001 (Inner Mongolia, 2014)
        "rollout": {
            "level_offset_days": 10,
            "subordinate_offset_days": 10,
            "min_concentrated_months": 3,
            "villages_flexible": True,
        },
        "requirements": ["照镜子、正衣冠、洗洗澡、治治病", '反对"四风"'],
    },
    {
        "code": "theme-education-2019",
        "title": '"不忘初心、牢记使命"主题教育（2019）',
        "kind": "theme_education",
        "phased": False,
        "batches": [
            {"name": "第一批", "starts_on": D(2019, 6, 1), "scope": "县处级以上领导班子和领导干部"},
            {"name": "第二批", "starts_on": D(2019, 9, 1), "scope": "市县及以下各级党组织"},
        ],
        "throughout": ["学习教育", "调查研究", "检视问题", "整改落实"],
        "special_rectification": "special-rectification-2019",
    },
    {
        "code": "two-studies-2016",
        "title": '"两学一做"学习教育（2016）',
        "kind": "two_studies",
        "phased": False,
        "routine": True,
    },
    {
        "code": "theme-education-2023",
        "title": "学习贯彻习近平新时代中国特色社会主义思想主题教育（2023）",
        "kind": "theme_education",
        "phased": False,
        "batches": [
            {"name": "第一批", "starts_on": D(2023, 4, 1), "ends_on": D(2023, 8, 31)},
            {"name": "第二批", "starts_on": D(2023, 9, 1)},
        ],
        "general_requirement": "学思想、强党性、重实践、建新功",
        "throughout": ["理论学习", "调查研究", "推动发展", "检视整改", "建章立制"],
    },
]


def seed(apps, schema_editor):
    Template = apps.get_model("campaigns", "CampaignTemplate")
    Phase = apps.get_model("campaigns", "TemplatePhase")
    TBatch = apps.get_model("campaigns", "TemplateBatch")
    for data in TEMPLATES:
        template = Template.objects.create(
            code=data["code"],
            title=data["title"],
            kind=data["kind"],
            phased=data["phased"],
            routine=data.get("routine", False),
            builtin=True,
            requirements=data.get("requirements", []),
            general_requirement=data.get("general_requirement", ""),
            special_rectification=data.get("special_rectification", ""),
            throughout=data.get("throughout", []),
            **data.get("rollout", {}),
        )
        for position, (code, title) in enumerate(data.get("phases", []), start=1):
            Phase.objects.create(template=template, position=position, code=code, title=title)
        for position, batch in enumerate(data.get("batches", []), start=1):
            TBatch.objects.create(template=template, position=position, **batch)


def unseed(apps, schema_editor):
    Template = apps.get_model("campaigns", "CampaignTemplate")
    Template.objects.filter(builtin=True, code__in=[t["code"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_campaigns")]
    operations = [migrations.RunPython(seed, unseed)]
