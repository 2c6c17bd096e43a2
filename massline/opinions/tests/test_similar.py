"""Possible duplicates: folding, the score on realistic complaints (the same complaint worded
differently against different complaints about the same place) and `candidates` over a
subtree's open opinions, bounded in queries and rows, on both databases."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from massline.opinions import similar
from massline.opinions.models import Channel, Opinion, OpinionStatus, SubmitterCategory

# The same complaint, worded by different people (one in traditional characters with
# full-width punctuation), and, after "x", different complaints about the same place.
GROUPS = {
    "lamp": [
        "小区门口的路灯坏了好几个月，晚上黑漆漆的，老人出门很不方便，希望尽快修好。",
        "我们小区大门口那几盏路灯已经坏了两三个月了，到了晚上一片漆黑，请有关部门赶紧维修。",
        "幸福小區門口路燈壞了幾個月沒人修！！",
    ],
    "lamp x": [
        "小区门口经常有人乱停车，堵住了消防通道，希望加强管理。",
        "小区门口的垃圾桶满了没人清理，气味很大。",
    ],
    "dibao": [
        "村里的低保评定不公开，有的人家里条件好也吃上了低保，群众意见很大。",
        "低保户的评选不透明，条件好的人家也领到低保，希望公开评议结果。",
    ],
    "dibao x": [
        "村里的道路坑坑洼洼，下雨天没法走，希望硬化。",
        "村里的自来水经常停水，吃水困难。",
    ],
    "games": [
        "镇干部上班时间在办公室打游戏，群众去办事找不到人。",
        "有的镇政府工作人员上班玩手机打游戏，办事的群众等半天没人理。",
    ],
    "games x": ["镇政府办事大厅窗口少，排队时间太长。"],
    "trips": [
        "社区办事要跑好几趟，材料要求一次说不清楚。",
        "到社区办个证明来回跑了三四次，每次都说缺材料，希望一次性告知。",
    ],
    "trips x": ["社区活动室一直锁着，居民没法使用。"],
    "school": [
        "学校门口上下学时段交通拥堵，没有交警疏导，孩子过马路很危险。",
        "放学的时候学校门口车太多了，堵得厉害，孩子过马路不安全，希望安排人员疏导交通。",
    ],
    "school x": ["学校食堂饭菜质量差，价格还贵。"],
    "insurance": [
        "医保报销手续太复杂，异地就医报销要跑很多部门。",
        "异地看病回来报销医保，要盖好多章跑好多地方，太麻烦了。",
    ],
    "insurance x": ["医院挂号难，专家号总是挂不上。"],
}
TEXTS = [(group.split()[0], group.endswith(" x"), t) for group, ts in GROUPS.items() for t in ts]

# Long opinions about unrelated things share many common characters.
LONG = [
    "我是幸福小区的居民，想反映一下小区物业的问题。物业费每年都在涨，可是服务一点没有变好。"
    "楼道里的灯坏了很久没人换，电梯经常出故障，上个月还困住了一位老人。绿化带里的杂草长得比人"
    "还高，垃圾也不能及时清运，夏天味道特别大。我们多次找物业反映，他们总是推说没有钱，让我们"
    "等。业主委员会也形同虚设，开会从来不通知大家。希望街道和社区能督促物业公司履行合同，公开物"
    "业费的收支情况，让我们住得安心一些。",
    "关于我们村土地流转的事情，我有几点意见。一是流转的价格是村干部和老板私下谈的，群众不知道"
    "具体内容，合同也没有公示。二是流转费已经拖欠了两年，好多老人就靠这点钱过日子，现在生活很"
    "困难。三是流转以后老板改变了土地用途，盖了一些大棚房，我们担心以后土地复垦不了。希望镇里"
    "和县里派人来调查一下，把账目公开，把拖欠的钱发给大家，依法处理违规建设的问题。",
    "反映一下我们县城的教育问题。城区的几所小学班额太大，一个班七十多个学生，老师根本照顾不过"
    "来。农村的学校反而生源越来越少，教室空着。很多家长为了让孩子进城上学，在城里租房陪读，负"
    "担很重。希望教育部门统筹规划，新建或者扩建城区学校，同时提高农村学校的教学质量，留住好老"
    "师，让孩子们在家门口就能上好学。",
]


def _pairs():
    for (g1, x1, t1), (g2, x2, t2) in itertools.combinations(TEXTS, 2):
        same = g1 == g2 and not x1 and not x2
        yield ("paraphrase" if same else "same place" if g1 == g2 else "other"), t1, t2


# -- fold -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("幸福小區門口路燈壞了", "幸福小区门口路灯坏了"),  # traditional
        ("ＷＩＦＩ信号差，２４小时断网", "wifi信号差24小时断网"),  # full width
        ("路灯，坏了！！！……（已经三个月）", "路灯坏了已经三个月"),  # punctuation
        ("路灯坏了😡😡👎 太黑了🌙", "路灯坏了太黑了"),  # emoji and spaces
        ("一\u3000二 \t三\n四", "一二三四"),  # every kind of space
        ("<script>alert(1)</script>", "scriptalert1script"),  # markup is text
        ("①号楼", "1号楼"),  # compatibility characters
        ("𠮷野家门口", "𠮷野家门口"),  # a rare character (outside the BMP) kept
        ("", ""),
        ("😡！！？", ""),
    ],
)
def test_fold(text, folded):
    assert similar.fold(text) == folded


def test_fold_makes_scripts_widths_and_punctuation_score_as_one():
    # given one complaint in simplified, traditional, full width and with emoji
    plain = "3号楼电梯坏了一个月没人修"
    variants = [
        "３號樓電梯壞了一個月沒人修",
        "3号楼，电梯坏了！一个月没人修？？",
        "3号楼电梯坏了一个月没人修😡😡",
        "３号楼　电梯坏了　一个月没人修",
    ]
    # then each scores 1 against it
    for variant in variants:
        assert similar.score(similar.fold(plain), similar.fold(variant)) == 1.0


# -- score ------------------------------------------------------------------------------------


def test_score_bounds():
    assert similar.score("", "") == 0.0
    assert similar.score("路灯", "") == 0.0
    assert similar.score("路灯坏了", "路灯坏了") == 1.0
    assert similar.score("路灯坏了", "食堂涨价") == 0.0
    assert similar.score("路灯坏了", "路灯坏了好久") == pytest.approx(
        similar.score("路灯坏了好久", "路灯坏了")
    )


def test_the_same_complaint_worded_differently_passes_the_threshold():
    scores = [similar.score(similar.fold(a), similar.fold(b)) for kind, a, b in _pairs()]
    kinds = [kind for kind, _a, _b in _pairs()]
    paraphrases = [s for s, k in zip(scores, kinds, strict=True) if k == "paraphrase"]
    same_place = [s for s, k in zip(scores, kinds, strict=True) if k == "same place"]
    other = [s for s, k in zip(scores, kinds, strict=True) if k == "other"]
    # every paraphrase is suggested
    assert min(paraphrases) >= similar.DEFAULT_THRESHOLD
    # different complaints about the same place score low: all but one short pair (小区门口
    # … 没人修 / 没人清理) stay under the threshold, and their mean well under it
    assert sum(s >= similar.DEFAULT_THRESHOLD for s in same_place) <= 1
    assert sum(same_place) / len(same_place) < similar.DEFAULT_THRESHOLD / 1.5
    # unrelated complaints never pass
    assert max(other) < similar.DEFAULT_THRESHOLD


def test_a_paraphrase_ranks_above_every_other_complaint():
    for i, (group, unrelated, text) in enumerate(TEXTS):
        if unrelated:
            continue
        ranked = sorted(
            (
                (similar.score(similar.fold(text), similar.fold(t)), g == group and not x)
                for j, (g, x, t) in enumerate(TEXTS)
                if j != i
            ),
            reverse=True,
        )
        assert ranked[0][1], text


def test_long_unrelated_opinions_stay_under_the_threshold():
    # characters alone would score these 0.31 to 0.36: the bigrams keep them apart
    for a, b in itertools.combinations(LONG, 2):
        assert similar.score(similar.fold(a), similar.fold(b)) < similar.DEFAULT_THRESHOLD


# -- candidates -------------------------------------------------------------------------------


def _opinion(org, text, status=OpinionStatus.RECEIVED) -> Opinion:
    return Opinion.objects.create(**_fields(org, text, status))


def _fields(org, text, status=OpinionStatus.RECEIVED) -> dict:
    return {
        "org": org,
        "org_path": org.path,
        "channel": Channel.BOX,
        "submitter_category": SubmitterCategory.PUBLIC,
        "text": text,
        "text_folded": similar.fold(text),
        "status": status,
        "received_on": date(2026, 11, 2),
    }


def test_candidates_are_the_open_opinions_of_the_subtree_best_first(tree):
    # given the lamp complaint at a village, its traditional paraphrase at the town, and
    # opinions that must not come back: closed, merged, replied, another subtree, above
    lamp = GROUPS["lamp"]
    near = _opinion(tree.village_a1, lamp[0])
    nearer = _opinion(tree.town_a1, lamp[2])
    _opinion(tree.village_a2, GROUPS["school x"][0])  # open, in the subtree, unrelated
    for status in (OpinionStatus.CLOSED, OpinionStatus.MERGED, OpinionStatus.REPLIED):
        _opinion(tree.village_a1, lamp[0], status)
    _opinion(tree.county_a2, lamp[0])  # a sibling subtree
    _opinion(tree.pref_a, lamp[0])  # above
    handled = _opinion(tree.village_a2, lamp[1], OpinionStatus.HANDLING)
    # when a new text comes in at the town
    found = similar.candidates(tree.town_a1, "幸福小区门口路灯坏了好几个月了，没人修")
    # then the open lamp complaints of the town's subtree, best first
    assert [s.opinion.pk for s in found] == [nearer.pk, near.pk, handled.pk]
    assert found[0].score > found[1].score > found[2].score >= similar.DEFAULT_THRESHOLD
    assert found[0].opinion.text == lamp[2]
    # a limit, a stricter threshold, an excluded opinion
    assert [s.opinion.pk for s in similar.candidates(tree.town_a1, lamp[2], limit=1)] == [nearer.pk]
    assert [s.opinion.pk for s in similar.candidates(tree.town_a1, lamp[2], threshold=0.99)] == [
        nearer.pk
    ]
    assert nearer.pk not in [
        s.opinion.pk for s in similar.candidates(tree.town_a1, lamp[2], exclude=nearer.pk)
    ]
    # from a village the town's opinion is out of reach
    assert nearer.pk not in [s.opinion.pk for s in similar.candidates(tree.village_a1, lamp[2])]


@pytest.mark.parametrize("text", ["", "   ", "😡😡！！", "……"])
def test_a_text_with_nothing_to_compare_finds_nothing(tree, text, django_assert_num_queries):
    _opinion(tree.town_a1, "😡😡！！")
    with django_assert_num_queries(0):
        assert similar.candidates(tree.town_a1, text) == []


def test_no_open_opinion_no_candidates(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert similar.candidates(tree.root, "路灯坏了") == []
    assert similar.candidates(tree.root, "路灯坏了", limit=0) == []


def test_candidates_read_only_the_most_recent_open_opinions_in_two_queries(
    tree, django_assert_num_queries
):
    # given the lamp complaint, then more recent open opinions than are compared
    old = _opinion(tree.village_a1, GROUPS["lamp"][0])
    filler = [t for g, _x, t in TEXTS if g != "lamp"]
    Opinion.objects.bulk_create(
        Opinion(**_fields(tree.village_a2, filler[i % len(filler)])) for i in range(similar.RECENT)
    )
    recent = _opinion(tree.village_a2, GROUPS["lamp"][1])
    # when / then: two queries, whatever the number of opinions, and the old one is too old
    with django_assert_num_queries(2):
        found = similar.candidates(tree.root, GROUPS["lamp"][2])
    assert [s.opinion.pk for s in found] == [recent.pk]
    assert old.pk not in [s.opinion.pk for s in found]
