"""Who the generated members are: the names, ethnic groups, ages, schooling and places of
Inner Mongolia's party members, as weighted tables the generator draws from."""

from __future__ import annotations

from massline.members.models import Category, Education

# -- names ------------------------------------------------------------------------------------

# Han surnames, weighted roughly as in northern China (per mille of the population).
HAN_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 75),
    ("李", 73),
    ("张", 70),
    ("刘", 55),
    ("赵", 30),
    ("杨", 30),
    ("高", 20),
    ("郭", 20),
    ("马", 18),
    ("孙", 18),
    ("陈", 16),
    ("韩", 13),
    ("徐", 10),
    ("吴", 10),
    ("周", 10),
    ("胡", 10),
    ("朱", 10),
    ("任", 9),
    ("于", 9),
    ("郝", 8),
    ("石", 8),
    ("贾", 7),
    ("田", 7),
    ("冯", 7),
    ("董", 7),
    ("曹", 6),
    ("杜", 6),
    ("梁", 6),
    ("宋", 6),
    ("白", 6),
    ("侯", 6),
    ("苏", 5),
    ("乔", 5),
    ("闫", 5),
    ("武", 5),
    ("常", 5),
    ("许", 5),
    ("史", 5),
    ("薛", 4),
    ("邢", 4),
    ("段", 4),
    ("贺", 4),
    ("温", 4),
    ("崔", 4),
    ("孟", 4),
    ("康", 4),
    ("牛", 4),
    ("尹", 3),
    ("雷", 3),
    ("范", 3),
    ("魏", 3),
    ("程", 3),
    ("吕", 3),
    ("姚", 3),
    ("樊", 3),
    ("兰", 3),
    ("云", 2),
    ("边", 2),
    ("霍", 2),
    ("齐", 2),
    ("安", 2),
    ("付", 2),
    ("申", 2),
    ("葛", 2),
    ("路", 2),
    ("丁", 2),
    ("彭", 2),
    ("邓", 2),
    ("谢", 2),
    ("罗", 2),
)
# Surnames of the other groups: Mongols who took one (包, 白, 宝, 鲍, and 云 among the Tumed),
# and the usual surnames of the Manchu, Hui, Daur, Evenki, Korean and Oroqen.
SURNAMES: dict[str, tuple[str, ...]] = {
    "02": ("包", "包", "包", "白", "白", "宝", "鲍", "云", "韩", "奇", "吴", "陈", "王", "李"),
    "03": ("马", "马", "马", "白", "杨", "李", "丁", "海", "哈", "穆", "纳", "沙", "金"),
    "10": ("金", "金", "李", "朴", "朴", "崔", "郑", "姜", "韩", "张", "黄", "申"),
    "11": ("关", "佟", "金", "赵", "那", "索", "富", "傅", "肖", "郎", "王", "吴", "白", "铁"),
    "31": ("敖", "郭", "孟", "何", "苏", "沃", "金", "鄂", "吴", "德"),
    "45": ("杜", "涂", "何", "卡", "吴", "索", "胡", "那"),
    "52": ("孟", "关", "莫", "葛", "吴", "魏", "白", "何"),
}
# The two characters of a given name, in the taste of those born before and after about 1970.
GIVEN_CHARS = {
    ("male", False): "国建军明华志文德福贵山林成东海平玉立忠胜利宝金荣长永春庆祥生富刚强义双喜树",
    ("male", True): "伟涛磊鹏超浩宇杰鑫博昊轩晨阳峰亮斌飞龙宁俊旭航帅凯毅嘉新振晓天子",
    ("female", False): "秀英兰芳桂玉凤珍梅霞琴云华敏丽萍翠红淑香春燕彩荣素金娥莲美巧",
    ("female", True): "婷娜静丽敏芳艳颖雪琳欣佳怡倩晶璐蕾慧文雅悦丹宁楠月瑶晓思雨萌",
}
MONGOLIAN_NAMES = {
    "male": (
        "巴特尔",
        "额尔敦",
        "苏和",
        "那仁",
        "阿拉坦仓",
        "朝鲁",
        "巴雅尔",
        "宝音",
        "巴图",
        "孟和",
        "布仁",
        "达来",
        "毕力格",
        "吉日嘎拉",
        "特木尔",
        "乌力吉",
        "那顺",
        "呼和",
        "额尔德木图",
        "哈斯",
        "图门",
        "阿古拉",
        "巴根那",
        "青格勒",
        "满都拉",
        "敖其尔",
        "阿木古楞",
        "宝力道",
        "乌恩",
        "桑布",
        "达林太",
        "斯日古楞",
        "巴音",
        "那木吉拉",
        "包力高",
        "特古斯",
        "白音仓",
        "胡日查",
        "乌日图",
        "朝克图",
        "德力格尔",
        "照日格图",
        "吉雅图",
        "阿拉腾",
        "苏德",
        "额日和木",
        "布和",
        "格日乐图",
        "达瓦",
        "巴特",
    ),
    "female": (
        "其其格",
        "乌日娜",
        "斯琴",
        "图雅",
        "萨仁",
        "乌兰",
        "格日勒",
        "敖登",
        "其木格",
        "娜仁花",
        "塔娜",
        "乌云",
        "格根塔娜",
        "阿如娜",
        "萨日娜",
        "乌云其木格",
        "娜日苏",
        "斯琴高娃",
        "托娅",
        "高娃",
        "琪琪格",
        "萨仁高娃",
        "乌仁",
        "哈斯高娃",
        "娜布其",
        "诺敏",
        "通拉嘎",
        "萨如拉",
        "斯琴图雅",
        "乌日汗",
        "阿拉坦其其格",
        "苏日娜",
        "额尔登花",
        "吉日木图雅",
        "其勒格尔",
        "乌兰图雅",
        "娜米拉",
        "宝力尔",
        "格格",
        "达古拉",
    ),
}

# -- the region's people ----------------------------------------------------------------------

# Ethnic groups of Inner Mongolia's members (code, per cent).
ETHNIC_MIX: tuple[tuple[str, float], ...] = (
    ("01", 79.0),  # 汉族
    ("02", 17.0),  # 蒙古族
    ("11", 2.0),  # 满族
    ("03", 0.9),  # 回族
    ("31", 0.35),  # 达斡尔族
    ("45", 0.2),  # 鄂温克族
    ("10", 0.2),  # 朝鲜族
    ("52", 0.1),  # 鄂伦春族
    ("38", 0.05),  # 锡伯族
    ("44", 0.05),  # 俄罗斯族
    ("04", 0.03),  # 藏族
    ("08", 0.03),  # 壮族
    ("15", 0.03),  # 土家族
    ("06", 0.03),  # 苗族
    ("05", 0.03),  # 维吾尔族
)
FEMALE_SHARE = 0.28
FEMALE_SHARE_OFFICERS = 0.2
# Birth years in bands (first, last, per cent): weighted to working age.
BIRTH_BANDS: tuple[tuple[int, int, float], ...] = (
    (1935, 1944, 4),
    (1945, 1954, 11),
    (1955, 1964, 17),
    (1965, 1974, 22),
    (1975, 1984, 21),
    (1985, 1994, 16),
    (1995, 2005, 9),
)
OFFICER_BIRTH_YEARS = (1962, 1994)
JOIN_AGE_MEAN_YEARS = 7.0  # years after the 18th birthday, on average
# Probationary members joined within the last year: most of them are young.
PROBATIONARY_BY_AGE = ((35, 0.27), (50, 0.07), (200, 0.02))
MOBILE_SHARE = 0.03  # two thirds outflow, one third inflow
LOST_SHARE = 0.005
PHONE_SHARE = 0.9
RETIREMENT_AGE = {"male": 60, "female": 55}

EDUCATION_BY_CATEGORY: dict[str, tuple[tuple[str, float], ...]] = {
    Category.FARMER_HERDER: (
        (Education.PRIMARY, 22),
        (Education.JUNIOR, 46),
        (Education.SECONDARY, 24),
        (Education.COLLEGE, 6),
        (Education.UNIVERSITY, 2),
    ),
    Category.EMPLOYED: (
        (Education.POSTGRADUATE, 7),
        (Education.UNIVERSITY, 52),
        (Education.COLLEGE, 26),
        (Education.SECONDARY, 12),
        (Education.JUNIOR, 3),
    ),
    Category.RETIRED: (
        (Education.POSTGRADUATE, 1),
        (Education.UNIVERSITY, 18),
        (Education.COLLEGE, 24),
        (Education.SECONDARY, 30),
        (Education.JUNIOR, 19),
        (Education.PRIMARY, 8),
    ),
    Category.STUDENT: (
        (Education.POSTGRADUATE, 20),
        (Education.UNIVERSITY, 75),
        (Education.COLLEGE, 5),
    ),
    Category.OTHER: (
        (Education.UNIVERSITY, 14),
        (Education.COLLEGE, 26),
        (Education.SECONDARY, 36),
        (Education.JUNIOR, 19),
        (Education.PRIMARY, 5),
    ),
}
# Where outflow members live now, and where inflow members come from.
OUTFLOW_PLACES = (
    "北京市朝阳区",
    "北京市海淀区",
    "北京市丰台区",
    "天津市滨海新区",
    "河北省石家庄市",
    "河北省张家口市",
    "山西省太原市",
    "山西省大同市",
    "辽宁省沈阳市",
    "辽宁省大连市",
    "吉林省长春市",
    "黑龙江省哈尔滨市",
    "上海市浦东新区",
    "江苏省苏州市",
    "浙江省杭州市",
    "山东省青岛市",
    "广东省深圳市南山区",
    "广东省广州市天河区",
    "陕西省西安市",
    "宁夏回族自治区银川市",
    "甘肃省兰州市",
    "内蒙古自治区呼和浩特市赛罕区",
    "内蒙古自治区包头市昆都仑区",
    "内蒙古自治区鄂尔多斯市东胜区",
)
INFLOW_PLACES = (
    "河北省张家口市",
    "山西省忻州市",
    "山西省大同市",
    "陕西省榆林市",
    "宁夏回族自治区石嘴山市",
    "甘肃省武威市",
    "黑龙江省齐齐哈尔市",
    "吉林省白城市",
    "辽宁省朝阳市",
    "山东省菏泽市",
    "河南省周口市",
    "内蒙古自治区赤峰市",
    "内蒙古自治区通辽市",
    "内蒙古自治区乌兰察布市",
)
LOST_NOTES = ("", "", "电话停机，多次联系未果", "已请户籍地村（居）委会协助查找", "外出务工后失联")
PHONE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)]
    + ["147", "150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + ["166", "170", "173", "175", "176", "177", "178"]
    + [f"18{d}" for d in range(10)]
    + ["191", "193", "195", "198", "199"]
)
