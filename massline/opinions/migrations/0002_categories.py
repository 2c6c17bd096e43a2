"""The dated checklists opinions are categorized by, written here as the project's own data
(from the rules the project was given: the four winds of 2013, the 2019 special rectification
areas, the situations of weak and lax grassroots organizations). Codes and dates are kept."""

import datetime as dt

from django.db import migrations

D = dt.date

CHECKLISTS = [
    {
        "source": "four_winds",
        "effective_from": D(2013, 6, 18),
        "items": [
            ("formalism", "形式主义", "知行不一、不求实效，文山会海、花拳绣腿，贪图虚名、弄虚作假"),
            (
                "bureaucratism",
                "官僚主义",
                "脱离实际、脱离群众，高高在上、漠视现实，唯我独尊、自我膨胀",
            ),
            ("hedonism", "享乐主义", "精神懈怠、不思进取，追名逐利、贪图享受，讲究排场、玩风盛行"),
            (
                "extravagance",
                "奢靡之风",
                "铺张浪费、挥霍无度，大兴土木、节庆泛滥，生活奢华、骄奢淫逸，甚至以权谋私、腐化堕落",
            ),
        ],
    },
    {
        "source": "special_2019",
        "effective_from": D(2019, 5, 31),
        "items": [
            (
                "SR2019-1",
                "对贯彻落实习近平新时代中国特色社会主义思想和党中央决策部署置若罔闻、应付了事、弄虚作假、阳奉阴违的问题",
                "",
            ),
            ("SR2019-2", "干事创业精气神不够，患得患失，不担当不作为的问题", ""),
            ("SR2019-3", "违反中央八项规定精神的突出问题", ""),
            (
                "SR2019-4",
                "形式主义、官僚主义，层层加重基层负担，文山会海突出，督查检查考核过多过频的问题",
                "",
            ),
            (
                "SR2019-5",
                "领导干部配偶、子女及其配偶违规经商办企业，甚至利用职权或者职务影响为其经商办企业谋取非法利益的问题",
                "",
            ),
            (
                "SR2019-6",
                '对黄赌毒和黑恶势力听之任之、失职失责甚至包庇纵容、充当"保护伞"的问题',
                "",
            ),
            ("SR2019-7", "漠视侵害群众利益的问题", ""),
            ("SR2019-8", "基层党组织软弱涣散，党员教育管理宽松软，基层党建主体责任缺失的问题", ""),
        ],
    },
    {
        "source": "weak_org",
        "effective_from": D(2019, 1, 1),
        "items": [
            ("WO-1", "党组织班子配备不齐、书记长期缺职、工作处于停滞状态", ""),
            ("WO-2", "党组织书记不胜任现职、工作不在状态、严重影响班子整体战斗力", ""),
            ("WO-3", "班子不团结、内耗严重、工作不能正常开展", ""),
            ("WO-4", "组织制度形同虚设、不开展党组织活动", ""),
            ("WO-5", "换届选举拉票贿选问题突出", ""),
            ("WO-6", "宗族宗教和黑恶势力干扰渗透严重", ""),
            ("WO-7", "党务村务财务不公开和民主管理混乱", ""),
            ("WO-8", "社会治安问题和信访矛盾纠纷集中", ""),
            ("WO-9", "无村级组织活动场所", ""),
            ("WO-10", "党组织服务意识差、服务能力弱、群众意见大", ""),
            ("WO-11", "村民代表大会、村务监督委员会未设立或形同虚设", ""),
            (
                "WO-12",
                "执行惠农政策不公开、不公正、不规范，甚至贪污、挪用、骗取、套取或优亲厚友",
                "",
            ),
        ],
    },
]


def seed(apps, schema_editor):
    Category = apps.get_model("opinions", "OpinionCategory")
    for checklist in CHECKLISTS:
        for position, (code, title, description) in enumerate(checklist["items"], start=1):
            Category.objects.update_or_create(
                source=checklist["source"],
                code=code,
                org=None,
                defaults={
                    "title": title,
                    "description": description,
                    "effective_from": checklist["effective_from"],
                    "position": position,
                },
            )


def unseed(apps, schema_editor):
    Category = apps.get_model("opinions", "OpinionCategory")
    for checklist in CHECKLISTS:
        Category.objects.filter(
            source=checklist["source"], org=None, code__in=[c for c, _, _ in checklist["items"]]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("opinions", "0001_opinions")]
    operations = [migrations.RunPython(seed, unseed)]
