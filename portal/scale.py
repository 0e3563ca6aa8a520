"""City-scale data for benchmarks (issue #8): what `manage.py seed_scale` loads.

The demo (`portal.demo`) tells the articles' story with a few dozen rows through the services; this fills
a database with a city's worth — 16 districts, 215 streets and towns, thousands of stations, a million
bookings — fast enough for a benchmark to build its database in a few minutes. So the rows are not made
through the services (one transaction and a dozen queries per booking would take hours) but planned in
memory and written in bulk, in one transaction: COPY on PostgreSQL (the benchmark's database), `executemany`
of the same rows elsewhere (SQLite, tiny sizes, for the test suite). Not `bulk_create`: it stamps every
`auto_now_add` field with the moment of the run, and a half year of history needs its own times. Every id is
chosen here (from the table's current maximum up), so rows can point at rows not written yet; the sequences
are set past them afterwards.

What the services would have guaranteed is kept by construction, and the tests check it:

- an event never holds more confirmed seats than it has, `confirmed_seats` is the sum of the seats of its
  confirmed and attended bookings, a person has one active booking per event, and a waiting list exists
  only where no waiting request fits the seats left (the order `_promote_waiting` serves it in); nobody
  booked a cancelled event, and nobody has the no-shows that would restrict them to waiting lists;
- a wish has at most one live claim and its status follows that claim's; a claimer holds at most
  WISHES_MAX_OPEN_CLAIMS open claims, and is a verified party member; an open claim's deadline lies ahead;
- an offer's and an offer point's `sold` are the quantities of their live orders and never exceed the
  quotas; each order's frozen price adds up (list = discount + subsidy + self-paid), a person has one
  order a day (so one subsidised meal), a policy's month never spends past its budget and its
  `SubsidySpend` row is the sum of the month's live subsidised orders; every balance is the sum of its
  ledger and never went below zero on the way (a top-up comes before the order that needed it);
- rooms hold no overlapping live reservations, and organisations stay within their weekly quota.

Every generated timestamp lies before the start of today (Shanghai): "today" is the anchor, so two runs on
the same day with the same seed write the same rows. Upcoming events, offers and claims lie after it.
"""

import io
import json
import math
import random
import time as clock
import uuid
from array import array
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext

from events.models import Booking, Event, EventSeries
from lunch.models import (
    Account,
    DailyOffer,
    Feedback,
    LedgerEntry,
    Meal,
    Merchant,
    OfferPoint,
    Order,
    PickupPoint,
    SubsidyPolicy,
    SubsidySpend,
)
from portal import page_cache, roles
from portal.demo import data as demo_data
from portal.models import Building, District, Membership, Neighbourhood, Organisation, Residence, StaffAssignment, Street, User
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.hours import SHANGHAI, local_now
from stations.models import FunctionArea, OpeningException, OpeningHours, ServiceItem, Station, Team, ThemeTag
from wishes.models import COMPOUND_SURNAMES, Beneficiary, Campaign, CampaignTarget, Claim, ServiceVisit, Wish, WishEvent, reminders_as_if_swept

PASSWORD = "bench-password-2026"
EMAIL_DOMAIN = "scale.station.cn"


def scale_email(number):
    return f"scale-{number:05d}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Sizes:
    stations: int = 5000
    events: int = 100_000
    bookings: int = 1_000_000
    wishes: int = 50_000
    lunch_orders: int = 200_000
    users: int = 50_000


class ScaleError(Exception):
    """The database or the sizes asked for don't allow a run; the message says why."""


# ---------------------------------------------------------------------------
# Places: Shanghai's 16 districts and their 215 streets and towns

# name, `ordering` (the district's administrative code, as portal.demo.data uses it), a slug prefix,
# centre (lat, lng) and spread (lat, lng) in degrees: where its streets' centres fall.
DISTRICTS = [
    ("黄浦区", 1, "huangpu", (31.2290, 121.4800), (0.012, 0.010)),
    ("徐汇区", 4, "xuhui", (31.1750, 121.4370), (0.028, 0.016)),
    ("长宁区", 5, "changning", (31.2130, 121.4050), (0.012, 0.028)),
    ("静安区", 6, "jingan", (31.2600, 121.4550), (0.024, 0.012)),
    ("普陀区", 7, "putuo", (31.2520, 121.4000), (0.018, 0.028)),
    ("虹口区", 9, "hongkou", (31.2750, 121.4900), (0.018, 0.010)),
    ("杨浦区", 10, "yangpu", (31.2850, 121.5250), (0.022, 0.018)),
    ("闵行区", 12, "minhang", (31.1100, 121.4000), (0.055, 0.055)),
    ("宝山区", 13, "baoshan", (31.3900, 121.4300), (0.045, 0.045)),
    ("嘉定区", 14, "jiading", (31.3500, 121.2600), (0.055, 0.055)),
    ("浦东新区", 15, "pudong", (31.1300, 121.6600), (0.090, 0.100)),
    ("金山区", 16, "jinshan", (30.8300, 121.2600), (0.055, 0.075)),
    ("松江区", 17, "songjiang", (31.0300, 121.2200), (0.045, 0.065)),
    ("青浦区", 18, "qingpu", (31.1300, 121.1000), (0.055, 0.075)),
    ("奉贤区", 20, "fengxian", (30.9200, 121.5000), (0.040, 0.085)),
    # Chongming is an island north of the Yangtze's mouth: its towns lie at 31.5–31.8 N.
    ("崇明区", 51, "chongming", (31.6300, 121.5500), (0.055, 0.170)),
]
# The streets (街道) of Pudong are the city side of the river, not the middle of the district.
URBAN_CENTRES = {"浦东新区": ((31.2250, 121.5400), (0.028, 0.022))}
# (lat, lng) the coordinates stay within: Shanghai's land, as tests/portal/test_seed_demo.py bounds it.
LAT_BOUNDS, LNG_BOUNDS = (30.70, 31.85), (120.90, 121.95)

STREETS = {
    "黄浦区": "南京东路街道 外滩街道 半淞园路街道 小东门街道 豫园街道 老西门街道 五里桥街道 打浦桥街道 淮海中路街道 瑞金二路街道",
    "徐汇区": "天平路街道 湖南路街道 斜土路街道 枫林路街道 长桥街道 田林街道 虹梅路街道 康健新村街道 徐家汇街道 凌云路街道 龙华街道"
    " 漕河泾街道 华泾镇",
    "长宁区": "华阳路街道 江苏路街道 新华路街道 周家桥街道 天山路街道 仙霞新村街道 虹桥街道 程家桥街道 北新泾街道 新泾镇",
    "静安区": "江宁路街道 石门二路街道 南京西路街道 静安寺街道 曹家渡街道 天目西路街道 北站街道 宝山路街道 芷江西路街道 共和新路街道 大宁路街道"
    " 彭浦新村街道 临汾路街道 彭浦镇",
    "普陀区": "曹杨新村街道 长风新村街道 长寿路街道 甘泉路街道 石泉路街道 宜川路街道 万里街道 真如镇街道 长征镇 桃浦镇",
    "虹口区": "欧阳路街道 曲阳路街道 广中路街道 嘉兴路街道 凉城新村街道 四川北路街道 北外滩街道 江湾镇街道",
    "杨浦区": "定海路街道 平凉路街道 江浦路街道 四平路街道 控江路街道 长白新村街道 延吉新村街道 殷行街道 大桥街道 五角场街道 新江湾城街道 长海路街道",
    "闵行区": "江川路街道 古美街道 新虹街道 浦锦街道 莘庄镇 七宝镇 颛桥镇 华漕镇 虹桥镇 梅陇镇 吴泾镇 马桥镇 浦江镇",
    "宝山区": "友谊路街道 吴淞街道 张庙街道 罗店镇 大场镇 杨行镇 月浦镇 罗泾镇 顾村镇 高境镇 庙行镇 淞南镇",
    "嘉定区": "新成路街道 真新街道 嘉定镇街道 南翔镇 安亭镇 马陆镇 徐行镇 华亭镇 外冈镇 江桥镇",
    "浦东新区": "潍坊新村街道 陆家嘴街道 周家渡街道 塘桥街道 上钢新村街道 南码头路街道 沪东新村街道 金杨新村街道 洋泾街道 浦兴路街道 东明路街道"
    " 花木街道 川沙新镇 高桥镇 北蔡镇 合庆镇 唐镇 曹路镇 金桥镇 高行镇 高东镇 张江镇 三林镇 惠南镇 周浦镇 新场镇 大团镇 康桥镇 航头镇 祝桥镇"
    " 泥城镇 宣桥镇 书院镇 万祥镇 老港镇 南汇新城镇",
    "金山区": "石化街道 朱泾镇 枫泾镇 张堰镇 亭林镇 吕巷镇 廊下镇 金山卫镇 漕泾镇 山阳镇",
    "松江区": "岳阳街道 永丰街道 方松街道 中山街道 广富林街道 九里亭街道 泗泾镇 佘山镇 车墩镇 新桥镇 洞泾镇 九亭镇 泖港镇 石湖荡镇"
    " 新浜镇 叶榭镇 小昆山镇",
    "青浦区": "夏阳街道 盈浦街道 香花桥街道 朱家角镇 练塘镇 金泽镇 赵巷镇 徐泾镇 华新镇 重固镇 白鹤镇",
    "奉贤区": "西渡街道 奉浦街道 金海街道 南桥镇 奉城镇 庄行镇 金汇镇 四团镇 青村镇 柘林镇 海湾镇",
    "崇明区": "城桥镇 堡镇 新河镇 庙镇 竖新镇 向化镇 三星镇 港沿镇 中兴镇 陈家镇 绿华镇 港西镇 建设镇 新海镇 东平镇 长兴镇 新村乡 横沙乡",
}
# How busy a district's streets are: the city centre has more stations per street than the suburbs.
DISTRICT_DENSITY = {"黄浦区": 1.3, "徐汇区": 1.4, "长宁区": 1.3, "静安区": 1.4, "普陀区": 1.2, "虹口区": 1.2, "杨浦区": 1.3, "浦东新区": 1.2,
                    "闵行区": 1.0, "宝山区": 0.9, "嘉定区": 0.8, "松江区": 0.8, "青浦区": 0.7, "奉贤区": 0.7, "金山区": 0.6, "崇明区": 0.5}

ROADS = {
    "黄浦区": "南京东路 西藏中路 淮海中路 复兴中路 人民路 河南南路 瑞金二路 徐家汇路 中山南路 陆家浜路",
    "徐汇区": "漕溪北路 肇嘉浜路 衡山路 天平路 宜山路 田林路 桂林路 龙华中路 虹梅路 华泾路 钦州路 斜土路",
    "长宁区": "长宁路 天山路 仙霞路 延安西路 虹桥路 武夷路 定西路 淞虹路 北翟路 哈密路 古北路",
    "静安区": "南京西路 江宁路 愚园路 万航渡路 共和新路 大宁路 临汾路 彭江路 西藏北路 天目西路 延长路",
    "普陀区": "长寿路 曹杨路 武宁路 中山北路 金沙江路 大渡河路 真北路 铜川路 桃浦路 西康路 枣阳路",
    "虹口区": "四川北路 大连西路 曲阳路 广中路 欧阳路 海宁路 东长治路 凉城路 水电路 临平路",
    "杨浦区": "四平路 国权路 控江路 黄兴路 周家嘴路 长阳路 杨树浦路 国定路 政立路 殷行路 大连路",
    "闵行区": "七莘路 沪闵路 都市路 莘松路 吴中路 顾戴路 虹井路 剑川路 浦锦路 江川路 银都路",
    "宝山区": "友谊路 牡丹江路 淞滨路 共康路 沪太路 场中路 长江西路 陆翔路 丹霞山路 美丹路",
    "嘉定区": "城中路 博乐路 墨玉路 曹安公路 嘉松北路 沪宜公路 叶城路 胜辛路 新郁路 洪德路",
    "浦东新区": "世纪大道 张杨路 浦东南路 东方路 上南路 锦绣路 龙阳路 川沙路 沪南公路 金科路 祖冲之路 杨高南路 浦建路 博山路 昌里路 高科西路",
    "金山区": "卫零路 金山大道 龙山路 蒙山路 板桥西路 亭卫公路 朱枫公路 林盛路",
    "松江区": "人民北路 荣乐东路 中山中路 新松江路 文诚路 谷阳北路 九亭大街 沪松公路 三新北路 广富林路",
    "青浦区": "公园路 盈港东路 青松公路 城中东路 华浦路 崧泽大道 诸光路 漕盈路",
    "奉贤区": "南桥路 解放东路 百齐路 江海路 环城东路 沪杭公路 金海公路 南奉公路 望园路",
    "崇明区": "八一路 人民路 鼓浪屿路 东门路 翠竹路 陈海公路 北沿公路 三沙洪路",
}

def _words(text):
    return tuple(text.split())


NEIGHBOURHOOD_STEMS = _words(
    "幸福 和平 康乐 梅园 桂林 枫林 长桥 田林 龙华 新华 金杨 上南 云台 齐河 昌里 浦兴 东明 三林 华夏 锦绣 翠竹 紫薇 银杏 "
    "春申 古美 平阳 莲花 罗阳 景谷 万源 航华 曹杨 梅岭 兰溪 杏山 枣阳 武宁 真光 清涧 桃浦 绿杨 虹储 天山 仙霞 北新 程家 "
    "哈密 茅台 延西 华阳 愚园 镇宁 武夷 泰安 新康 法华 平武 定西 石门 南阳 淮安 延中 芷江 共和 大宁 彭浦 临汾 凉城 广中 "
    "曲阳 欧阳 嘉兴 海宁 控江 延吉 长白 殷行 四平 国定 政立 平凉 定海 松花 江浦 友谊 吴淞 张庙 通河 泗塘 淞南 高境 罗店 "
    "大场 顾村 杨行 月浦 宝钢 安居 永乐 福寿 金桥 碧云 联洋 世纪 花木 御桥 北蔡 龙阳 东方 博兴 胶东 潍坊 崂山 张杨 竹园 "
    "陆家 塘桥 南码 上钢 耀华 周浦 康桥 秀沿 惠南 新场 航头 瑞金 思南 复兴 斜土 徐镇 漕溪 宛平 康健 长虹 梅陇"
)
VILLAGE_STEMS = _words(
    "新建 永安 红星 东风 胜利 光明 友好 团结 向阳 联合 建设 长兴 金星 新河 民主 前进 大同 立新 群力 富民 五星 先锋 新丰 "
    "东海 南港 北渔 沈家 陆家 张家 顾家 王家 李家 钱家 周家 吴家 朱家 杨家 新农 永丰 丰收 华星 振东 海星 兴隆 兴旺 太平 "
    "仁和 桃园 荷花 杨柳 秀南 新义 安新"
)
NUMERALS = "一二三四五六七八九"

BUILDING_STEMS = _words(
    "汇金 华润 东方 金融 星光 恒基 嘉里 世纪 明珠 新华 创智 长风 金桥 天安 汇智 宏慧 中环 同济 凯德 环球 盛大 金鹰 协和 "
    "中信 招商 宝龙 万达 绿地 中海 瑞虹 新天地 漕河泾 张江 陆家嘴 外滩 苏河 海洋 信息 创新 智慧 云端 锦江 龙湖 证大 百联 "
    "新城 九亭 紫竹 莘庄 江桥 南翔 安亭 泗泾 临港 虹桥 国金 未来 启迪 银座 华鑫 远洋 宝华 永达 兆丰 达安 越洋 长泰 尚浦 "
    "晶耀 凌空 悦达 嘉亭 新业 合生 长甲"
)
OFFICE_SUFFIXES = ("大厦", "广场", "中心", "国际大厦", "商务楼", "大楼", "商务中心", "金融中心", "国际广场")
PARK_SUFFIXES = ("科技园", "创意园", "产业园", "软件园", "文化创意产业园", "智造园", "商务园")

ENTERPRISE_STEMS = _words(
    "云帆 智汇 恒信 博睿 启明 天衡 众合 华启 盛源 锐思 领航 鼎新 乐享 优品 海纳 同创 卓越 思远 嘉禾 蓝海 星辰 远景 聚源 "
    "明德 合力 凯瑞 宏达 鑫盛 安泰 金石 易达 新锐 九州 华信 联创 融通 捷讯 优选 微光 数联 云图 青禾 润泽 弘毅 知行 致远 "
    "宸宇 熙和 瀚海 澜舟 星火 木棉 橙果 方圆"
)
INDUSTRIES = ("科技", "信息技术", "网络科技", "文化传媒", "企业管理咨询", "投资管理", "生物医药", "建筑设计", "电子商务", "物流", "人力资源",
              "广告", "金融信息服务", "软件", "数据服务", "教育科技", "供应链管理", "环保科技")

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
            "贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
RARE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "端木")
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林欣建国志海峰文晨晓东立新振宏德荣"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞秀英华慧巧美娅琳婷雪颖洁佳玲倩萍红月莉兰凤琴云丹蕾晓梅燕"
ELDERLY_MALE_NAMES = ("建国", "国强", "志明", "德明", "金宝", "根生", "福林", "阿毛", "永康", "海根", "水根", "长林", "国庆", "宝根")
ELDERLY_FEMALE_NAMES = ("桂英", "秀英", "玉兰", "凤英", "秀珍", "月娥", "金娣", "杏娣", "美华", "素珍", "彩娣", "雅琴", "阿妹", "巧珍")

THEME_TAGS = ("传统文化", "微公益", "美好生活", "阅读", "白领服务", "白领午餐", "楼长制", "区域化党建", "为老服务", "志愿服务", "健康服务",
              "职工文化", "亲子", "心理健康", "法律咨询", "四史学习教育", "社区治理", "文艺社团", "非遗传承", "垃圾分类", "体育健身", "青年创新")

# ---------------------------------------------------------------------------
# What stations offer and when they open

# Opening hours as minutes after midnight, (weekdays, [(opens, closes), …]); 1440 is midnight (stored as 00:00).
WEEKDAYS, SATURDAY, EVERY_DAY = (0, 1, 2, 3, 4), (5,), (0, 1, 2, 3, 4, 5, 6)
HOURS = {
    "standard": [(WEEKDAYS, [(510, 1020)]), (SATURDAY, [(540, 690)])],
    "lunch_break": [(WEEKDAYS, [(510, 690), (780, 1020)])],
    "centre": [(WEEKDAYS, [(540, 1020)]), (SATURDAY, [(540, 960)])],
    "every_day": [(EVERY_DAY, [(600, 1200)])],
    "office": [(WEEKDAYS, [(540, 1050)])],
    "office_late": [(WEEKDAYS, [(540, 1260)]), (SATURDAY, [(810, 1050)])],
    "white_collar": [(WEEKDAYS, [(540, 1440)]), (SATURDAY, [(600, 1020)])],
}
HOURS_BY_KIND = {
    "neighbourhood": {"standard": 45, "lunch_break": 25, "centre": 20, "every_day": 10},
    "building": {"office": 45, "office_late": 40, "white_collar": 15},
    "park": {"office": 60, "office_late": 40},
    "centre": {"centre": 60, "every_day": 25, "standard": 15},
}
# Closed at every station (fixed-date public holidays: (month, day) → reason).
HOLIDAYS = {(1, 1): "元旦", **{(5, d): "劳动节" for d in range(1, 6)}, **{(10, d): "国庆节" for d in range(1, 8)}}

# Function areas: kind → (name, capacity range, share open by reservation).
AREAS = {
    "reading": ("阅读区", (10, 30), 0.0),
    "fitness": ("健身区", (8, 20), 0.0),
    "handcraft": ("手工制作区", (10, 25), 0.3),
    "meeting": ("多功能会议室", (20, 60), 1.0),
    "consultation": ("咨询洽谈区", (4, 10), 0.2),
    "nursing": ("爱心妈咪小屋", (2, 2), 0.0),
    "music_books": ("职工音乐书屋", (10, 30), 0.3),
    "health": ("健康微站", (4, 8), 0.0),
    "other": ("党员活动室", (15, 40), 0.5),
}
AREAS_BY_KIND = {
    "building": ("meeting", "reading", "fitness", "consultation", "nursing", "music_books", "handcraft"),
    "park": ("meeting", "reading", "fitness", "nursing", "consultation", "handcraft"),
    "neighbourhood": ("meeting", "reading", "health", "handcraft", "other", "consultation"),
    "centre": ("meeting", "reading", "health", "fitness", "handcraft", "other", "consultation", "nursing", "music_books"),
}
TEAMS = [
    ("书法社", "每周三 14:00–16:00", "到站登记即可加入，笔墨纸砚由站点提供。"),
    ("合唱团", "每周二 09:30–11:00", "欢迎喜欢唱歌的居民报名，无需基础。"),
    ("读书会", "每月第一个周六 14:00–16:00", "扫站内二维码加入读书群。"),
    ("摄影社", "每月两次外拍，时间群内通知", "带上手机或相机即可。"),
    ("舞蹈队", "每周一、四 18:30–20:00", "到站点前台登记。"),
    ("太极拳队", "每天 07:00–08:00", "清晨在站点门前广场练习，随时可来。"),
    ("志愿服务队", "每周六上午", "填写志愿者登记表，参加一次培训后上岗。"),
    ("话剧社", "每周五 19:00–21:00", "每季度招新一次，关注站点公告。"),
    ("编织社", "每周四 14:00–16:00", "毛线由社团提供，新手有老师带。"),
    ("乒乓球队", "每周二、五 12:10–12:50", "午间来站即可切磋。"),
    ("茶艺社", "每月第三个周三 12:00–13:00", "名额有限，请提前在站点报名。"),
    ("沪剧沙龙", "每周一 14:00–16:00", "票友自愿参加。"),
]
SERVICES = [
    ("免费量血压", "每个工作日开放，自助血压计随时可用。"),
    ("法律咨询", "每月第二个周三下午，律师志愿者坐班。"),
    ("心理咨询", "预约制，每周一次，由专业咨询师接待。"),
    ("党员组织关系转接咨询", "工作时间到站咨询。"),
    ("共享雨伞", "登记后借用，次日归还。"),
    ("手机充电", "站内充电柜，免费使用。"),
    ("饮用水", "冷热饮水机，自带杯子。"),
    ("微波炉加热", "午间为白领提供加热午餐服务。"),
    ("便民理发", "每月第一个周六上午，志愿者理发。"),
    ("磨剪刀、修补衣物", "每月一次便民服务日。"),
    ("快递代收", "站点工作时间代收快递。"),
    ("图书借阅", "凭身份证登记，每次可借两本。"),
    ("政策咨询", "社保、医保、就业政策答疑。"),
    ("老年助餐咨询", "为老人办理助餐登记。"),
]

# ---------------------------------------------------------------------------
# Events: category → (time templates as (start, end) minutes, weekdays only?, capacity range)

EVENT_TIMES = {
    "lunch_salon": ([(720, 780), (730, 770), (720, 765)], True, (15, 40)),
    "after_work": ([(1110, 1200), (1140, 1230), (1080, 1170)], True, (12, 35)),
    "culture": ([(840, 960), (600, 690), (810, 930)], False, (20, 80)),
    "health": ([(540, 660), (840, 930), (570, 660)], False, (20, 60)),
    "volunteer": ([(570, 690), (840, 960)], False, (10, 40)),
    "party_education": ([(840, 960), (720, 780), (570, 660)], True, (20, 100)),
    "delivery": ([(720, 780), (840, 930)], True, (15, 50)),
}
CATEGORY_WEIGHTS = {
    "building": {"lunch_salon": 35, "after_work": 20, "culture": 10, "health": 8, "volunteer": 5, "party_education": 12, "delivery": 10},
    "park": {"lunch_salon": 30, "after_work": 22, "culture": 10, "health": 8, "volunteer": 6, "party_education": 14, "delivery": 10},
    "neighbourhood": {"lunch_salon": 3, "after_work": 2, "culture": 25, "health": 30, "volunteer": 22, "party_education": 18},
    "centre": {"lunch_salon": 12, "after_work": 12, "culture": 20, "health": 18, "volunteer": 14, "party_education": 20, "delivery": 4},
}
SALON_TOPICS = ("手冲咖啡", "插花", "香薰蜡烛", "茶艺", "职场沟通", "理财入门", "健康饮食", "颈椎保健", "正念减压", "手机摄影", "绘本共读", "剪纸",
                "扎染", "书法体验", "口琴入门", "精油调配", "垃圾分类小课堂", "劳动合同那些事", "简笔画", "时间管理", "公文写作", "急救知识（AED）")
SALON_PATTERNS = ("午+1白领精致生活主题沙龙：{}", "午间一小时·{}", "午间沙龙：{}", "白领午间课堂：{}")
COURSES = ("办公软件效率提升", "英语口语角", "心理咨询师考证辅导", "育婴师（五级）考证班", "瑜伽", "普拉提", "尤克里里入门", "油画入门", "短视频剪辑",
           "Python编程入门", "烘焙", "声乐", "街舞", "演讲与口才", "摄影后期", "沪语入门", "咏春拳")
COURSE_PATTERNS = ("班后一小时·{}", "职工快乐课堂·{}", "白领夜校·{}")
CULTURE = ("中国古诗词品读会", "水墨画体验课", "午间电影赏析讲座", "沪剧欣赏", "海派文化讲座", "读书会：城市记忆", "书画交流", "非遗剪纸体验",
           "评弹欣赏", "石库门建筑漫谈", "上海老城厢的故事", "有声图书馆分享会", "昆曲赏析", "篆刻体验", "社区合唱排练")
HEALTH = ("社区义诊：量血压、测血糖", "健康讲座：高血压的日常管理", "中医养生讲座", "眼科义诊", "口腔健康检查", "老年人防跌倒讲座", "糖尿病饮食指导",
          "家庭医生签约咨询", "心肺复苏培训", "耳穴按压体验", "骨密度检测", "健康微站：免费量血压、测血糖")
VOLUNTEER = ("垃圾分类宣传志愿服务", "为独居老人送餐志愿服务", "便民服务：理发、磨剪刀、修补衣物", "社区环境清洁行动", "文明交通志愿岗",
             "旧衣物回收公益活动", "志愿者沙龙", "助老智能手机教学志愿服务", "楼道微更新志愿活动", "爱心义卖")
PARTY_EDUCATION = ("“四史”学习教育专题党课", "主题党日活动", "书记沙龙：楼宇党建经验交流", "红色观影：党史纪录片", "党史知识竞赛",
                   "新党员入党宣誓仪式", "区域化党建联席会议", "党员志愿服务：社区巡访", "红色寻访：中共一大纪念馆", "“零距离家园”建设研讨")
DELIVERY = ("午间瑜伽", "职场减压工作坊", "中医推拿体验", "茶艺", "健康体检报告解读", "团队拓展", "插花", "急救培训")
EVENT_DESCRIPTIONS = {
    "lunch_salon": "利用午休一小时，在家门口的党群服务站放松身心、结识同楼宇的朋友。名额有限，请提前预约。",
    "after_work": "下班后的一小时，给自己充充电。课程由专业老师授课，适合零基础学员。",
    "culture": "在社区里感受文化的魅力，欢迎居民和白领朋友一起参加。",
    "health": "社区卫生服务中心的医生现场服务，请携带医保卡和既往病历。",
    "volunteer": "欢迎党员和居民报名参加志愿服务，活动结束后可记录志愿服务时长。",
    "party_education": "党员请佩戴党员徽章，提前十分钟到场签到。",
    "delivery": "应企业申请，由党群服务站配送到企业的专场活动，仅限本企业员工报名。",
}
SUBSIDY_NOTE = "享受政府专项职业培训补贴：标价为补贴后的个人自付部分。"

# ---------------------------------------------------------------------------
# Wishes

# (title, estimated value range in yuan, story)
GOODS_WISHES = [
    ("一台电风扇", (150, 300), "家里的旧电风扇坏了多年，屋子朝西，夏天闷热，想要一台落地电风扇。"),
    ("一台血糖测量仪", (150, 300), "患有糖尿病，需要经常测血糖，希望家里有一台血糖仪，不用每次跑卫生服务站。"),
    ("一台上臂式电子血压计", (150, 300), "有高血压，每次量血压都要去社区排队，希望家里有一台血压计，每天早晚自己量。"),
    ("一个电子高压锅", (200, 400), "家里的老式高压锅用了二十多年，密封圈老化，用起来提心吊胆，想换一个安全省心的。"),
    ("一台取暖用的电暖器", (200, 450), "冬天屋里阴冷，希望有一台安全的电暖器，带倾倒断电功能。"),
    ("一副四脚助行器", (100, 250), "中风后腿脚不便，出门买菜要扶墙走，想要一副稳当的四脚助行器。"),
    ("一床冬季厚棉被", (150, 300), "家里的棉被盖了十几年，已经板结不保暖了，希望入冬前能换一床厚实的新棉被。"),
    ("一双保暖棉鞋", (80, 200), "脚怕冷，冬天穿的鞋已经开胶，想要一双防滑、保暖的棉鞋。"),
    ("一盏护眼台灯和一套学习用品", (100, 250), "孩子读小学，晚上在饭桌上写作业，希望有一盏护眼台灯和一套新文具。"),
    ("一台能听沪剧的收音机", (60, 150), "爱听沪剧，原来的收音机坏了，希望有一台按键大、声音响的收音机。"),
    ("一根防滑拐杖", (50, 120), "雨天出门怕滑倒，想要一根带防滑脚垫的拐杖。"),
    ("一条电热毯", (80, 200), "家里没有空调，冬天夜里冷得睡不着，希望有一条安全的电热毯。"),
    ("一个小电饭煲", (100, 250), "一个人吃饭，大电饭煲煮一次吃三天，想要一个一人份的小电饭煲。"),
    ("一副合适的老花眼镜", (100, 300), "老花镜是地摊上买的，度数不合适，看东西头晕，希望能验光配一副合适的。"),
    ("一台助听器", (300, 500), "耳朵越来越背，和邻居说话要喊，希望有一台合适的助听器。"),
    ("一辆轻便折叠轮椅", (300, 500), "腿脚不便，去医院复诊要家人背下楼，希望有一辆轻便的折叠轮椅。"),
    ("一个新书包", (80, 200), "孩子的书包背了三年，拉链坏了，希望开学前能有一个新书包。"),
    ("一套冬季保暖内衣", (100, 200), "冬天怕冷，希望有一套厚实的保暖内衣。"),
    ("一个带扶手的洗澡凳", (80, 200), "洗澡时站不稳，怕摔跤，想要一个带扶手的防滑洗澡凳。"),
    ("一台电热水壶", (60, 150), "烧水的铝壶漏了，想要一个会自动断电的电热水壶。"),
    ("一部按键大的老年手机", (150, 350), "原来的手机字太小看不清，想要一部按键大、声音响的老年手机，方便和子女联系。"),
]
# (title, estimated value range, story, may repeat, people served range)
SERVICE_WISHES = [
    ("一次上门助浴服务", (100, 200), "下肢残疾，洗澡要靠家人抱进浴缸，家人年纪也大了，希望有专业助浴员上门帮忙。", False, (1, 1)),
    ("上门理发", (0, 60), "行动不便，很久没有去理发店了，希望有人上门帮忙理发。", True, (1, 1)),
    ("陪同去医院复诊一次", (0, 0), "下个月要去医院复诊，子女在外地，希望有人陪着挂号、取药，路上照应一下。", False, (1, 1)),
    ("为高龄老人上门扦脚", (0, 100), "居民区里有几位高龄老人脚趾甲增厚，自己剪不动，希望有人上门扦脚。", True, (3, 10)),
    ("上门修理漏水的水龙头", (0, 100), "厨房水龙头一直滴水，自己不会修，希望有人上门帮忙修一修。", False, (1, 1)),
    ("上门打扫一次卫生", (0, 150), "年纪大了爬不上高处，窗户和灯罩积了很多灰，希望有人帮忙打扫一次。", False, (1, 1)),
    ("教我用智能手机和孩子视频通话", (0, 0), "子女给买了智能手机，可不会用，希望有人教教视频通话和手机挂号。", False, (1, 1)),
    ("代买生活用品", (0, 0), "腿脚不便，下楼买东西很难，希望有人帮忙代买米、油等生活用品。", True, (1, 2)),
    ("家电检修一次", (0, 100), "家里的洗衣机和冰箱用了很多年，声音很响，希望有人帮忙检修一下。", False, (1, 1)),
    ("上门量血压", (0, 0), "有高血压，出门不方便，希望有人定期上门量量血压、聊聊天。", True, (1, 2)),
    ("更换老化的电线插座", (0, 150), "家里的电线和插座老化发黑，担心安全，希望有电工帮忙更换。", False, (1, 1)),
    ("辅导孩子功课", (0, 0), "孩子读初中，父母文化程度不高辅导不了，希望有志愿者辅导功课。", True, (1, 2)),
]
COMPANION_WISHES = [
    ("陪老人聊聊天、晒晒太阳", (0, 0), "独居多年，子女不在身边，希望有人来陪着聊聊天，扶着下楼晒晒太阳。"),
    ("一起过一个生日", (0, 100), "老伴走后一直一个人过生日，希望今年生日有人陪着吃一碗长寿面。"),
    ("陪同去公园散步", (0, 0), "出门怕迷路，希望有人陪着去附近公园走一走。"),
    ("陪老人下一盘象棋", (0, 0), "年轻时爱下象棋，现在找不到对手，希望有人来陪着下几盘。"),
    ("读一读报纸", (0, 0), "视力不好，看不清报纸上的字，希望有人来读读报、说说新闻。"),
]
REPORTS = ("已按约定送到老人家中，老人很满意。", "已上门完成服务，居委会干部一同前往。", "物品已交到服务站，由工作人员转交。",
           "和老人约好时间上门，顺便帮忙检查了家里的煤气。", "已完成，附照片交站点存档。")
THANKS = ("谢谢党员同志，你们想得太周到了。", "东西收到了，很实用，感谢大家的关心。", "好心人帮了大忙，我要给他们写一封感谢信。",
          "孩子高兴坏了，说要好好学习。", "有你们真好，社区就像一个大家庭。")
WITHDRAW_REASONS = ("老人已搬去子女家居住。", "需求已由居委会协调解决。", "老人入住养老院，不再需要。", "家属已自行购买。")
RELEASE_REASONS = ("认领人临时出差，无法按时完成。", "认领人家中有事，请站点另找他人。")
HARDSHIP_WEIGHTS = {"elderly_alone": 40, "disabled": 15, "needy_member": 15, "low_income": 22, "other": 8}
WISH_STATUS_WEIGHTS = {"draft": 4, "review": 4, "published": 24, "claimed": 10, "reported": 5, "fulfilled": 40, "withdrawn": 4, "expired": 9}
WISH_STATUSES = tuple(WISH_STATUS_WEIGHTS)
FESTIVALS = {1: "春节送温暖", 2: "春节送温暖", 3: "学雷锋", 4: "学雷锋", 5: "“六一”童心", 6: "“七一”", 7: "“七一”", 8: "夏日送清凉",
             9: "重阳敬老", 10: "重阳敬老", 11: "冬日暖心", 12: "冬日暖心"}

# ---------------------------------------------------------------------------
# Lunch

MERCHANT_PREFIXES = ("老弄堂", "阿拉", "沪上", "金桂", "弄堂口", "石库门", "海派", "福缘", "鸿运", "德盛", "新味", "好食光", "禾木", "一品",
                     "乐膳", "知味", "米香", "稻香", "味道", "小满")
MERCHANT_KINDS = ("本帮菜馆", "面馆", "快餐", "轻食", "粤菜馆", "小厨", "食府", "点心店", "便当", "餐厅")
# (name, allergens, description); every set meal costs 25–28 yuan, as in the 长寿路 article.
DISHES = [
    ("白切鸡套餐", "大豆", "白切鸡配姜葱蘸料，时令蔬菜，例汤，米饭。"),
    ("葱油鸡腿饭", "大豆", "去骨鸡腿淋葱油，配卤蛋半只、炒青菜、米饭。"),
    ("椒盐排条套餐", "麸质、鸡蛋", "上海风味椒盐排条，配素鸡、炒时蔬、米饭和紫菜蛋花汤。"),
    ("咸肉菜饭套餐", "", "青菜咸肉菜饭，配小排骨汤一碗。"),
    ("本帮红烧肉套餐", "大豆、麸质", "浓油赤酱红烧肉配百叶结，炒青菜，米饭，例汤。"),
    ("糖醋小排套餐", "大豆、麸质", "糖醋小排，配烤麸、清炒豆苗、米饭。"),
    ("清炒虾仁套餐", "虾", "清炒河虾仁，配蒜蓉西兰花、米饭和腌笃鲜汤。"),
    ("雪菜肉丝面套餐", "麸质", "雪菜肉丝汤面，配熏鱼两块、凉拌黄瓜。"),
    ("烧鹅饭", "大豆", "烧鹅例牌，配白灼菜心、米饭、老火例汤。"),
    ("蜜汁叉烧饭", "大豆、麸质、芝麻", "蜜汁叉烧，配溏心蛋、白灼菜心、米饭。"),
    ("豉汁排骨饭", "大豆", "豉汁蒸排骨，配蒸滑蛋、时蔬、米饭。"),
    ("轻食鸡胸沙拉", "鸡蛋、芝麻", "低温鸡胸肉、藜麦、牛油果、混合生菜，配胡麻酱。"),
    ("照烧鸡腿便当", "大豆、麸质、芝麻", "照烧鸡腿配玉子烧、西兰花、日式米饭。"),
    ("三文鱼藜麦碗", "鱼、大豆、芝麻", "三文鱼、藜麦饭、毛豆、紫甘蓝、海苔，配和风酱汁。"),
    ("黑椒牛柳意面", "麸质、乳制品", "黑椒牛柳意面，配田园沙拉一份。"),
    ("番茄牛腩饭", "", "番茄慢炖牛腩，配时蔬和杂粮饭。"),
    ("红烧大排面套餐", "麸质、大豆", "红烧大排配阳春面，送小菜一碟。"),
    ("油爆虾套餐", "虾、大豆", "本帮油爆虾，配炒青菜、米饭、例汤。"),
    ("红烧鱼块套餐", "鱼、大豆", "红烧青鱼块，配炒蛋、时蔬、米饭。"),
    ("宫保鸡丁饭", "花生、大豆", "宫保鸡丁，配酸辣土豆丝、米饭。"),
    ("鱼香肉丝饭", "大豆", "鱼香肉丝，配清炒时蔬、米饭、紫菜汤。"),
    ("麻婆豆腐饭", "大豆", "麻婆豆腐配蒜蓉生菜、米饭。"),
    ("梅菜扣肉饭", "大豆", "梅菜扣肉，配炒时蔬、米饭、例汤。"),
    ("台式卤肉饭套餐", "大豆、鸡蛋", "卤肉饭配卤蛋、烫青菜、贡丸汤。"),
    ("咖喱鸡块饭", "乳制品、麸质", "日式咖喱鸡块，配土豆胡萝卜、米饭。"),
    ("香菇滑鸡饭", "大豆", "香菇蒸滑鸡，配白灼菜心、米饭。"),
    ("鳗鱼饭", "鱼、大豆", "蒲烧鳗鱼，配玉子烧、味噌汤。"),
    ("牛肉拉面套餐", "麸质", "清汤牛肉拉面，配凉拌海带丝。"),
    ("葱油拌面配大排", "麸质、大豆", "葱油拌面，配炸猪排一块、罗宋汤。"),
    ("虾仁馄饨套餐", "虾、麸质", "鲜肉虾仁大馄饨十只，配葱油饼一块。"),
    ("生煎锅贴套餐", "麸质、芝麻", "生煎四只、锅贴四只，配咖喱牛肉汤。"),
    ("素什锦时蔬饭", "大豆", "香菇、木耳、青菜、豆腐干炒什锦，配杂粮饭。"),
    ("清蒸鲈鱼套餐", "鱼", "清蒸鲈鱼半条，配蒜蓉娃娃菜、米饭。"),
    ("酱鸭饭", "大豆", "杭帮酱鸭，配炒时蔬、米饭、冬瓜汤。"),
    ("红烧狮子头饭", "大豆、麸质", "红烧狮子头两只，配青菜、米饭。"),
]
FEEDBACK = ("味道正宗，分量也够。", "送来还是热的。", "偏咸了一点。", "米饭少了点。", "性价比很高，天天吃也不腻。", "菜品新鲜。",
            "取餐很快，不用排队。",
            "希望多一些素菜选择。", "适合老年人，软烂好嚼。", "比外卖实惠多了。")

RESERVATION_PURPOSES = ("部门季度分享会", "楼组长议事会", "党支部主题党日", "新员工入职培训", "社区书法兴趣小组练习", "老年合唱团排练",
                        "客户交流座谈",
                        "读书会", "亲子绘本活动", "志愿者培训")

PAST_WEEKS, AHEAD_WEEKS = 26, 6  # events lie in the half year before today and the six weeks after
LUNCH_PAST_WORKDAYS, LUNCH_AHEAD_WORKDAYS = 30, 4  # offers: six weeks of history, today and the next four workdays
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # events.models.new_booking_code's
CODE_SPACE = len(CODE_ALPHABET) ** 10
CODE_STEP = 0x2545F4914F6CDD1D % CODE_SPACE  # not a multiple of 31: id ↦ (id·step + offset) mod 31¹⁰ is a bijection


# ---------------------------------------------------------------------------
# Small helpers


def allocate(total, weights):
    """`total` split in proportion to `weights`, as whole numbers that add up exactly (largest remainder)."""
    weight_sum = sum(weights)
    if total <= 0 or not weights:
        return [0] * len(weights)
    if weight_sum <= 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    shares = [total * w / weight_sum for w in weights]
    counts = [int(s) for s in shares]
    short = total - sum(counts)
    for i in sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))[:short]:
        counts[i] += 1
    return counts


def allocate_capped(total, weights, caps):
    """Like `allocate`, but no count exceeds its cap; what a full one can't take goes to the others."""
    if sum(caps) < total:
        raise ScaleError(f"{total} can't be spread over places that hold {sum(caps)} at most.")
    counts = [0] * len(weights)
    active = [i for i in range(len(weights)) if caps[i] > 0]
    remaining = total
    while remaining > 0:
        shares = allocate(remaining, [weights[i] for i in active])
        remaining, still = 0, []
        for i, share in zip(active, shares, strict=True):
            take = min(share, caps[i] - counts[i])
            counts[i] += take
            remaining += share - take
            if counts[i] < caps[i]:
                still.append(i)
        active = still
    return counts


class Picker:
    """Weighted random choice over a fixed list, in O(log n) a pick."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1] if self.cumulative else 0

    def __call__(self, rng):
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


def pick_weighted(rng, table):
    """A key of {key: weight}."""
    return rng.choices(list(table), weights=list(table.values()))[0]


def at(day, minutes, seconds=0):
    """An aware datetime in Shanghai, `minutes` after midnight of `day` (1440 is the next midnight)."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(minutes=minutes, seconds=seconds)


def as_time(minutes):
    return time(0, 0) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def fits(periods, start, end):
    return any(opens <= start and end <= closes for opens, closes in periods)


def booking_code(pk):
    n = (pk * CODE_STEP + 7_777_777) % CODE_SPACE
    chars = []
    for _ in range(10):
        n, digit = divmod(n, 31)
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)


class Names:
    """Unique names within a scope (a street, say), counting the ones already in the database."""

    def __init__(self, taken=()):
        self.taken = defaultdict(set)
        for scope, name in taken:
            self.taken[scope].add(name)

    def claim(self, scope, name):
        taken = self.taken[scope]
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}（{n}）"
        taken.add(unique)
        return unique

    def make(self, scope, rng, make, tries=12):
        """A name `make(rng)` that is not taken yet; numbered when a dozen tries all are."""
        taken = self.taken[scope]
        for _ in range(tries):
            name = make(rng)
            if name not in taken:
                taken.add(name)
                return name
        return self.claim(scope, make(rng))


def person_name(rng, gender, *, elderly=False):
    surname = rng.choice(RARE_SURNAMES) if rng.random() < 0.01 else SURNAMES[min(int(rng.expovariate(1 / 25)), len(SURNAMES) - 1)]
    if elderly:
        return surname + rng.choice(ELDERLY_FEMALE_NAMES if gender == "f" else ELDERLY_MALE_NAMES)
    pool = FEMALE_GIVEN if gender == "f" else MALE_GIVEN
    given = rng.choice(pool) if rng.random() < 0.35 else rng.choice(pool) + rng.choice(pool)
    return surname + given


def surname_of(full_name):
    for compound in COMPOUND_SURNAMES:
        if full_name.startswith(compound) and len(full_name) > len(compound):
            return compound
    return full_name[:1]


def short_street(name):
    for suffix in ("街道", "新镇", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def short_enterprise(name):
    return name.removeprefix("上海").removesuffix("有限公司")


# ---------------------------------------------------------------------------
# Writing rows


def _pg_str(value):
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _pg_converter(field):
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "FileField", "ImageField"):
        convert = _pg_str
    elif kind == "BooleanField":
        def convert(value):
            return "t" if value else "f"
    elif kind in ("DateTimeField", "DateField", "TimeField"):
        convert = _isoformat
    elif kind == "JSONField":
        def convert(value):
            return _pg_str(json.dumps(value, ensure_ascii=False))
    else:  # integers, keys, decimals, floats, UUIDs
        convert = str
    if field.null:
        def convert_nullable(value, convert=convert):
            return "\\N" if value is None else convert(value)
        return convert_nullable
    return convert


def _isoformat(value):
    return value.isoformat()


class Tables:
    """Writes planned rows into tables — COPY on PostgreSQL, `executemany` elsewhere — and reports each table as it goes.

    Rows are tuples in the order of the `fields` given (attnames: `event_id`, not `event`); fields left out get
    their model default, which is why a field without a plain default (a unique code, a timestamp) must be given.
    """

    CHUNK = 50_000

    def __init__(self, out=None):
        self.out = out
        self.postgres = connection.vendor == "postgresql"
        self.next_pk = {}
        self.report = []  # (label, rows, seconds)
        self.models = []
        self.mark = clock.perf_counter()

    def ids(self, model, count):
        """The first of `count` fresh primary keys of `model` (above what the table holds)."""
        start = self.next_pk.get(model)
        if start is None:
            start = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.next_pk[model] = start + count
        return start

    def _columns(self, model, fields):
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {unknown}")
        given = [by_attname[name] for name in fields]
        filled = []
        for field in model._meta.concrete_fields:
            if field.attname in fields:
                continue
            callable_default = field.has_default() and callable(field.default) and field.default not in (dict, list)
            plain_empty = not field.has_default() and not field.null and not (field.empty_strings_allowed and field.blank)
            if field.primary_key or field.unique or callable_default or plain_empty:
                raise ValueError(f"{model.__name__}.{field.attname} must be given: it has no plain default")
            filled.append((field, field.get_default()))
        return given, filled

    def write(self, model, fields, rows, *, label=None):
        given, filled = self._columns(model, fields)
        columns = [f.column for f in given] + [f.column for f, _ in filled]
        table = connection.ops.quote_name(model._meta.db_table)
        column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                converters = [_pg_converter(f) for f in given]
                suffix = "".join("\t" + _pg_converter(f)(value) for f, value in filled)
                sql = f"COPY {table} ({column_sql}) FROM STDIN"
                lines = []
                for row in rows:
                    lines.append("\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + suffix)
                    if len(lines) >= self.CHUNK:
                        count += self._copy(cursor, sql, lines)
                        lines = []
                count += self._copy(cursor, sql, lines)
            else:
                preparers = [f.get_db_prep_save for f in given] + [f.get_db_prep_save for f, _ in filled]
                constants = tuple(value for _, value in filled)
                sql = f"INSERT INTO {table} ({column_sql}) VALUES ({', '.join(['%s'] * len(columns))})"
                batch = []
                for row in rows:
                    batch.append([prep(value, connection) for prep, value in zip(preparers, tuple(row) + constants, strict=True)])
                    if len(batch) >= self.CHUNK:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        if model not in self.models:
            self.models.append(model)
        self._done(label or model._meta.label, count)
        return count

    @staticmethod
    def _copy(cursor, sql, lines):
        if not lines:
            return 0
        buffer = io.StringIO("\n".join(lines) + "\n")
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
        return len(lines)

    def _done(self, label, count):
        now = clock.perf_counter()
        seconds, self.mark = now - self.mark, now
        self.report.append((label, count, seconds))
        if self.out is not None:
            self.out(f"  {label:<32} {count:>10,} rows  {seconds:7.1f} s")

    def note(self, label, seconds):
        self.report.append((label, None, seconds))
        if self.out is not None:
            self.out(f"  {label:<32} {'':>10}       {seconds:7.1f} s")

    def finish(self):
        """Set every sequence past the ids chosen here (PostgreSQL; SQLite's AUTOINCREMENT follows by itself)."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)


# ---------------------------------------------------------------------------
# The plan's rows, in memory while they are made


class Place:
    __slots__ = ("id", "street", "name", "kind", "lat", "lng", "address", "party", "enterprises", "station", "planned")


class StreetPlan:
    __slots__ = ("id", "district", "name", "kind", "lat", "lng", "weight", "urban", "neighbourhoods", "buildings", "stations",
                 "committee", "partners", "admin", "campaigns", "party_orgs", "lunch_points")


class StationPlan:
    __slots__ = ("id", "street", "kind", "building", "neighbourhood", "name", "lat", "lng", "week", "areas", "closed", "staff",
                 "rooms", "weight")


class EventPlan:
    __slots__ = ("id", "station", "area", "category", "day", "start", "end", "capacity", "status", "private_for", "published",
                 "opens", "closes", "deadline", "series", "first", "count", "attendance", "seats", "title", "audience", "organiser",
                 "fee", "note", "changed")


class Builder:
    """Plans and writes the whole city, table by table, inside the caller's transaction."""

    def __init__(self, sizes, *, seed=1, today=None, out=None):
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.today = today or local_now().date()
        # Nothing this run writes happened after the start of today: two runs on one day write the same rows.
        self.now = at(self.today, 0)
        self.tables = Tables(out)
        with translation.override(settings.LANGUAGE_CODE):
            self.words = {key: gettext(key) for key in (
                "Claimed by {who}", "Not fulfilled by the deadline.", "No one claimed it in time.", "Food business licence expired.")}

    def run(self):
        self.geography()
        self.places()
        self.organisations()
        self.people()
        self.stations()
        self.staff()
        self.events()
        self.reservations()
        self.wishes()
        self.lunch()
        self.tables.finish()
        return self.tables

    def _when(self, day, minutes_from, minutes_to):
        """A moment on `day` between two times of day, never after the run's `now`."""
        moment = at(day, self.rng.randint(minutes_from, minutes_to), self.rng.randint(0, 59))
        return min(moment, self.now - timedelta(seconds=self.rng.randint(60, 3600)))

    def _days_ago(self, low, high, minutes_from=480, minutes_to=1200):
        return self._when(self.today - timedelta(days=self.rng.randint(low, high)), minutes_from, minutes_to)

    # -----------------------------------------------------------------------
    # Districts, streets, neighbourhoods, buildings

    def geography(self):
        rng, tables = self.rng, self.tables
        existing = dict(District.objects.values_list("name", "pk"))
        new_districts, self.districts = [], []
        first = tables.ids(District, len(DISTRICTS))
        for index, (name, ordering, slug, centre, spread) in enumerate(DISTRICTS):
            pk = existing.get(name)
            if pk is None:
                pk = first + index
                new_districts.append((pk, name, ordering))
            self.districts.append({"id": pk, "name": name, "slug": slug, "centre": centre, "spread": spread,
                                   "roads": ROADS[name].split(), "streets": [], "users": []})
        tables.write(District, ["id", "name", "ordering"], new_districts)

        known = {(d, n): pk for d, n, pk in Street.objects.values_list("district_id", "name", "pk")}
        self.streets, new_streets = [], []
        pk = tables.ids(Street, 215)
        for district in self.districts:
            for name in STREETS[district["name"]].split():
                street = StreetPlan()
                street.district, street.name = district, name
                street.kind = "street" if name.endswith("街道") else "town"
                street.urban = street.kind == "street"
                (lat, lng), (slat, slng) = URBAN_CENTRES.get(district["name"], (district["centre"], district["spread"])) \
                    if street.urban else (district["centre"], district["spread"])
                street.lat, street.lng = self._clamp(rng.gauss(lat, slat), rng.gauss(lng, slng))
                street.weight = DISTRICT_DENSITY[district["name"]] * (1.0 if street.urban else 0.8) * rng.uniform(0.6, 1.4)
                street.id = known.get((district["id"], name))
                if street.id is None:
                    street.id, pk = pk, pk + 1
                    new_streets.append((street.id, district["id"], name, street.kind))
                street.neighbourhoods, street.buildings, street.stations, street.partners, street.party_orgs = [], [], [], [], []
                street.admin, street.campaigns = None, []
                district["streets"].append(street)
                self.streets.append(street)
        tables.write(Street, ["id", "district_id", "name", "kind"], new_streets)

    @staticmethod
    def _clamp(lat, lng):
        return round(min(max(lat, LAT_BOUNDS[0]), LAT_BOUNDS[1]), 6), round(min(max(lng, LNG_BOUNDS[0]), LNG_BOUNDS[1]), 6)

    def _near(self, place, spread):
        return self._clamp(self.rng.gauss(place.lat, spread), self.rng.gauss(place.lng, spread))

    def places(self):
        """How many stations each street has and of which kinds, then the neighbourhoods and buildings they need."""
        rng, tables = self.rng, self.tables
        counts = allocate(self.sizes.stations, [s.weight for s in self.streets])
        self.street_station_kinds = []
        for street, count in zip(self.streets, counts, strict=True):
            kinds = []
            if count >= 3:
                kinds.append("centre")
            mix = {"building": 45, "park": 10, "neighbourhood": 45} if street.urban else {"building": 15, "park": 20, "neighbourhood": 65}
            kinds += [pick_weighted(rng, mix) for _ in range(count - len(kinds))]
            self.street_station_kinds.append(kinds)

        neighbourhood_names = Names(Neighbourhood.objects.values_list("street_id", "name"))
        building_names = Names(Building.objects.values_list("street_id", "name"))
        n_rows, b_rows = [], []
        n_pk = tables.ids(Neighbourhood, 0)
        b_pk = tables.ids(Building, 0)
        for street, kinds in zip(self.streets, self.street_station_kinds, strict=True):
            roads = street.district["roads"]
            wanted = max(2, math.ceil(kinds.count("neighbourhood") * 1.3))
            for _ in range(wanted):
                place = Place()
                village = not street.urban and rng.random() < 0.5
                place.kind = "village" if village else "neighbourhood"
                place.name = neighbourhood_names.make(street.id, rng, self._village_name if village else self._neighbourhood_name)
                place.id, n_pk = n_pk, n_pk + 1
                place.street, place.station, place.party, place.planned = street, None, None, False
                place.lat, place.lng = self._near(street, 0.006 if street.urban else 0.02)
                street.neighbourhoods.append(place)
            offices = kinds.count("building") + kinds.count("park")
            for n in range(max(1, math.ceil(offices * 1.4))):
                place = Place()
                is_park = n < kinds.count("park") or rng.random() < (0.1 if street.urban else 0.35)
                place.kind = "park" if is_park else "office"
                suffixes = PARK_SUFFIXES if is_park else OFFICE_SUFFIXES
                place.name = building_names.make(street.id, rng, lambda r, s=suffixes: r.choice(BUILDING_STEMS) + r.choice(s))
                place.address = f"{rng.choice(roads)}{rng.randint(1, 1999)}号"
                place.id, b_pk = b_pk, b_pk + 1
                place.street, place.station, place.party, place.enterprises, place.planned = street, None, None, [], False
                place.lat, place.lng = self._near(street, 0.005 if street.urban else 0.015)
                street.buildings.append(place)
        self.tables.next_pk[Neighbourhood], self.tables.next_pk[Building] = n_pk, b_pk
        self.neighbourhoods = [n for s in self.streets for n in s.neighbourhoods]
        self.buildings = [b for s in self.streets for b in s.buildings]
        # The coordinates are written with the places; a station in one takes them over (see `stations`).
        self._station_places(rng)
        for n in self.neighbourhoods:
            n_rows.append((n.id, n.street.id, n.name, n.kind, n.lat, n.lng))
        for b in self.buildings:
            b_rows.append((b.id, b.street.id, b.name, b.kind, b.address, b.lat, b.lng))
        tables.write(Neighbourhood, ["id", "street_id", "name", "kind", "latitude", "longitude"], n_rows)
        tables.write(Building, ["id", "street_id", "name", "kind", "address", "latitude", "longitude"], b_rows)

    @staticmethod
    def _neighbourhood_name(rng):
        stem = rng.choice(NEIGHBOURHOOD_STEMS)
        pattern = rng.random()
        if pattern < 0.45:
            return f"{stem}居民区"
        if pattern < 0.65:
            return f"{stem}{rng.choice(NUMERALS)}村居民区"
        if pattern < 0.8:
            return f"{stem}新村居民区"
        if pattern < 0.9:
            return f"{stem}花园居民区"
        return f"{stem}苑居民区"

    @staticmethod
    def _village_name(rng):
        return f"{rng.choice(VILLAGE_STEMS)}村" if rng.random() < 0.8 else f"{rng.choice(NEIGHBOURHOOD_STEMS)}社区"

    def _station_places(self, rng):
        """Which building or neighbourhood each planned station sits in (one station a place)."""
        self.station_specs = []
        for street, kinds in zip(self.streets, self.street_station_kinds, strict=True):
            free_neighbourhoods = list(street.neighbourhoods)
            parks = [b for b in street.buildings if b.kind == "park"]
            offices = [b for b in street.buildings if b.kind == "office"]
            rng.shuffle(free_neighbourhoods)
            rng.shuffle(parks)
            rng.shuffle(offices)
            for kind in kinds:
                place = None
                if kind == "neighbourhood":
                    place = free_neighbourhoods.pop() if free_neighbourhoods else None
                elif kind in ("building", "park"):
                    pool = (parks or offices) if kind == "park" else (offices or parks)
                    place = pool.pop() if pool else None
                    if place is not None:
                        kind = "park" if place.kind == "park" else "building"
                if kind != "centre" and place is None:
                    kind = "centre"  # the street ran out of places: the station is the street's own
                if place is not None:
                    place.planned = True
                self.station_specs.append((street, kind, place))

    # -----------------------------------------------------------------------
    # Organisations: party committees and branches, partner units, enterprises (merchants come with lunch)

    def organisations(self):
        rng, tables = self.rng, self.tables
        existing = {(s, k, n): pk for s, k, n, pk in Organisation.objects.values_list("street_id", "kind", "name", "pk")}
        names = Names(((s, k), n) for s, k, n in existing)
        self.org_name = {pk: n for (_s, _k, n), pk in existing.items()}
        self.org_names = names
        rows = []
        pk = tables.ids(Organisation, 0)

        def add(street, kind, name, *, building=None, parent=None, description="", shared=False):
            """A new organisation; a street's own (`shared`: its party committee, its health centre) is found again if it exists."""
            nonlocal pk
            if shared and (street.id, kind, name) in existing:
                return existing[(street.id, kind, name)]
            name = names.claim((street.id, kind), name) if isinstance(name, str) else names.make((street.id, kind), rng, name)
            org_id, pk = pk, pk + 1
            self.org_name[org_id] = name
            created = self._days_ago(400, 900)
            rows.append((org_id, created, created, name, kind, street.id, building.id if building else None, parent, description, True))
            return org_id

        def enterprise_name(r):
            return f"上海{r.choice(ENTERPRISE_STEMS)}{r.choice(INDUSTRIES)}有限公司"

        for street in self.streets:
            suffix = "党工委" if street.urban else "党委"
            street.committee = add(street, "party", f"{street.name}{suffix}", shared=True,
                                   description=f"统筹{street.name}区域化党建，指导辖区党群服务站建设。")
            street.party_orgs.append(street.committee)
            for unit in ("社区卫生服务中心", "社区文化活动中心"):
                street.partners.append(add(street, "partner", f"{street.name}{unit}", shared=True))
            for building in street.buildings:
                building.party = add(street, "party", f"{building.name}{'联合党总支' if rng.random() < 0.3 else '联合党支部'}",
                                     building=building, parent=street.committee)
                street.party_orgs.append(building.party)
                for _ in range(rng.randint(2, 5)):
                    building.enterprises.append(add(street, "enterprise", enterprise_name, building=building))
            for neighbourhood in street.neighbourhoods:
                neighbourhood.party = add(street, "party", f"{neighbourhood.name}{'党总支' if neighbourhood.kind == 'neighbourhood' else '党支部'}",
                                          parent=street.committee)
                street.party_orgs.append(neighbourhood.party)
        self.tables.next_pk[Organisation] = pk
        tables.write(Organisation, ["id", "created_at", "updated_at", "name", "kind", "street_id", "building_id", "parent_id",
                                    "description", "is_active"], rows)

    # -----------------------------------------------------------------------
    # People: 50,000 accounts sharing one password hash

    def people(self):
        rng, tables, sizes = self.rng, self.tables, self.sizes
        n = sizes.users
        self.n_merchants = max(4, sizes.stations // 50)
        roles_wanted = [("street_admin", min(len(self.streets), n // 50)),
                        ("station_staff", min(len(self.station_specs), n // 20)),
                        ("merchant_staff", min(self.n_merchants, n // 100))]
        personas = [role for role, count in roles_wanted for _ in range(count)]
        rest = n - len(personas)
        office, resident = round(rest * 0.45), round(rest * 0.40)
        personas += ["office"] * office + ["resident"] * resident + ["plain"] * (rest - office - resident)
        rng.shuffle(personas)

        # Numbers continue after scale accounts already there (a second run with --allow-demo).
        start = 1 + max((int(e[6:11]) for e in User.objects.filter(email__startswith="scale-", email__endswith=f"@{EMAIL_DOMAIN}")
                         .values_list("email", flat=True) if e[6:11].isdigit()), default=0)
        phones = set(User.objects.exclude(phone=None).values_list("phone", flat=True))
        password = make_password(PASSWORD)  # once: hashing 50,000 times would take hours
        first = tables.ids(User, n)
        self.users = []
        self.user_district = {}
        self.by_persona = defaultdict(list)
        self.names = {}
        rows = []
        for i, persona in enumerate(personas):
            uid = first + i
            gender = "f" if rng.random() < 0.52 else "m"
            name = person_name(rng, gender)
            phone = None
            if rng.random() < 0.7:
                phone = f"1{rng.choice('3456789')}{rng.randint(0, 9)}{(uid * 7_919 + 13) % 100_000_000:08d}"
                if phone in phones:
                    phone = None
                else:
                    phones.add(phone)
            joined = self._days_ago(30, 900)
            last_login = self._days_ago(0, 60) if rng.random() < 0.6 else None
            is_staff = persona in ("street_admin", "station_staff", "merchant_staff")
            rows.append((uid, password, last_login, False, is_staff, True, joined, scale_email(start + i), name, phone, "zh-hans"))
            self.users.append(uid)
            self.by_persona[persona].append(uid)
            self.names[uid] = name
        self.joined = {row[0]: row[6] for row in rows}
        tables.write(User, ["id", "password", "last_login", "is_superuser", "is_staff", "is_active", "date_joined", "email",
                            "display_name", "phone", "language"], rows)
        # allauth signs in confirmed addresses only (ACCOUNT_EMAIL_VERIFICATION = "mandatory").
        first_address = tables.ids(EmailAddress, n)
        tables.write(EmailAddress, ["id", "user_id", "email", "verified", "primary"],
                     ((first_address + i, row[0], row[7], True, True) for i, row in enumerate(rows)))
        self.first_email = start

        # Staff roles: street admins over streets, station staff over stations (those get their places later).
        streets = list(self.streets)
        rng.shuffle(streets)
        for street, uid in zip(streets, self.by_persona["street_admin"], strict=False):
            street.admin = uid
            self.user_district[uid] = street.district
        order = list(range(len(self.station_specs)))
        rng.shuffle(order)
        self.station_staff = {}  # index of the station (in station_specs) → its staff member
        for index, uid in zip(order, self.by_persona["station_staff"], strict=False):
            self.station_staff[index] = uid
            self.user_district[uid] = self.station_specs[index][0].district
        for uid in self.by_persona["merchant_staff"]:
            self.user_district[uid] = rng.choice(self.streets).district
        self._memberships()

    def _memberships(self):
        """Office workers of the buildings' enterprises, party members, residents: verified by the street's staff."""
        rng, tables = self.rng, self.tables
        self.verified_members = defaultdict(list)  # enterprise → verified members
        self.group_bookers = set()
        self.party_members = []  # verified party members, for claims
        self.representatives = {}  # user → party organisation they may claim for
        self.workers_of_street = defaultdict(list)  # street → verified office workers (the lunch subsidy)
        self.unverified_workers_of_street = defaultdict(list)
        self.residents_of = defaultdict(list)  # neighbourhood id → verified residents
        self.ties = defaultdict(list)  # user → organisation ids with verified ties (reservations on their behalf)
        memberships, residences = [], []
        buildings = Picker(self.buildings, [3 if b.planned else 1 for b in self.buildings])
        neighbourhoods = self.neighbourhoods

        def verification(uid, street, share):
            if rng.random() >= share:
                return None, None
            when = min(self.joined[uid] + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600)), self.now - timedelta(hours=1))
            return when, street.admin

        def member(uid, org, street, role, share):
            created = min(self.joined[uid] + timedelta(minutes=rng.randint(5, 600)), self.now - timedelta(hours=2))
            verified_at, verified_by = verification(uid, street, share)
            memberships.append((created, verified_at or created, verified_at, verified_by, uid, org, role))
            return verified_at is not None

        for uid in self.by_persona["office"]:
            building = buildings(rng)
            street = building.street
            self.user_district[uid] = street.district
            org = rng.choice(building.enterprises)
            role = "member"
            roll = rng.random()
            if roll < 0.03:
                role = "representative"
            elif roll < 0.07:
                role = "manager"
            if member(uid, org, street, role, 0.9):
                self.verified_members[org].append(uid)
                self.workers_of_street[street].append(uid)
                self.ties[uid].append(org)
                if role != "member":
                    self.group_bookers.add(uid)
            else:
                self.unverified_workers_of_street[street].append(uid)
            if rng.random() < 0.25:
                self._party_member(uid, building.party, street, member)
        for uid in self.by_persona["resident"]:
            neighbourhood = rng.choice(neighbourhoods)
            street = neighbourhood.street
            self.user_district[uid] = street.district
            created = min(self.joined[uid] + timedelta(minutes=rng.randint(5, 600)), self.now - timedelta(hours=2))
            verified_at, verified_by = verification(uid, street, 0.85)
            residences.append((created, verified_at or created, verified_at, verified_by, uid, neighbourhood.id))
            if verified_at is not None:
                self.residents_of[neighbourhood.id].append(uid)
            if rng.random() < 0.3:
                self._party_member(uid, neighbourhood.party, street, member)
        for uid in self.by_persona["plain"]:
            self.user_district[uid] = rng.choice(self.streets).district
        for uid in self.users:
            self.user_district[uid]["users"].append(uid)

        first = tables.ids(Membership, len(memberships))
        tables.write(Membership, ["id", "created_at", "updated_at", "verified_at", "verified_by_id", "user_id", "organisation_id", "role"],
                     ((first + i, *row) for i, row in enumerate(memberships)))
        first = tables.ids(Residence, len(residences))
        tables.write(Residence, ["id", "created_at", "updated_at", "verified_at", "verified_by_id", "user_id", "neighbourhood_id"],
                     ((first + i, *row) for i, row in enumerate(residences)))

    def _party_member(self, uid, org, street, member):
        role = "representative" if self.rng.random() < 0.1 else "member"
        if member(uid, org, street, role, 0.92):
            self.party_members.append(uid)
            self.ties[uid].append(org)
            if role == "representative":
                self.representatives[uid] = org

    # -----------------------------------------------------------------------
    # Stations and what they offer

    def stations(self):
        rng, tables = self.rng, self.tables
        slugs = set(Station.objects.values_list("slug", flat=True))
        station_names = Names(Station.objects.values_list("street_id", "name"))
        tags = self._theme_tags()
        window_start = self.today - timedelta(weeks=PAST_WEEKS)
        window_end = self.today + timedelta(weeks=AHEAD_WEEKS)
        holidays = [(self.today + timedelta(days=d)) for d in range((window_start - self.today).days, (window_end - self.today).days + 1)]
        holidays = [(day, HOLIDAYS[(day.month, day.day)]) for day in holidays if (day.month, day.day) in HOLIDAYS]

        first = tables.ids(Station, len(self.station_specs))
        self.station_plans = []
        number = Station.objects.count()
        rows, tag_rows, hour_rows, exception_rows, area_rows, reservable_rows, team_rows, service_rows = [], [], [], [], [], [], [], []
        area_pk = tables.ids(FunctionArea, 0)
        for index, (street, kind, place) in enumerate(self.station_specs):
            station = StationPlan()
            station.id, station.street, station.kind = first + index, street, kind
            station.building = place if kind in ("building", "park") else None
            station.neighbourhood = place if kind == "neighbourhood" else None
            district = street.district
            if kind == "centre":
                base = f"{street.name}党群服务中心"
            elif kind == "park":
                base = f"{place.name}党群服务站"
            elif kind == "building":
                base = f"{place.name}{rng.choice(('楼宇党群服务站', '党群服务站', '白领驿站'))}"
            else:
                base = f"{place.name.removesuffix('居民区')}党群服务站"
            station.name = station_names.claim(street.id, base)
            number += 1
            slug = f"{district['slug']}-{number:05d}"
            while slug in slugs:
                number += 1
                slug = f"{district['slug']}-{number:05d}"
            slugs.add(slug)
            if place is not None:
                station.lat, station.lng = place.lat, place.lng
                place.station = station
                address = place.address + f"{rng.randint(1, 3)}楼" if station.building else \
                    f"{rng.choice(district['roads'])}{rng.randint(1, 999)}弄{rng.randint(1, 60)}号"
            else:
                station.lat, station.lng = self._near(street, 0.004 if street.urban else 0.01)
                address = f"{rng.choice(district['roads'])}{rng.randint(1, 1999)}号"
            station.weight = {"centre": 3.0, "building": 1.5, "park": 1.2, "neighbourhood": 1.0}[kind] * rng.uniform(0.5, 1.5)
            template = pick_weighted(rng, HOURS_BY_KIND[kind])
            station.week = {day: [] for day in range(7)}
            for days, periods in HOURS[template]:
                for day in days:
                    station.week[day] = periods
                    for opens, closes in periods:
                        hour_rows.append((station.id, day, as_time(opens), as_time(closes)))
            station.closed = dict(holidays)
            if rng.random() < 0.02:
                day = self.today + timedelta(days=rng.randint(1, 28))
                station.closed.setdefault(day, "设备检修")
            for day, reason in sorted(station.closed.items()):
                exception_rows.append((station.id, day, True, None, None, reason))
            description = {
                "centre": f"{street.name}的党群服务中心，统筹辖区党群服务站资源，提供党员教育、政务咨询、文化活动等服务。",
                "building": "楼宇党群服务站，服务楼宇白领和入驻企业：午间一小时、班后一小时活动，白领午餐和休憩空间。",
                "park": "园区党群服务站，为园区企业和职工提供党建指导、职工服务和交流空间。",
                "neighbourhood": "家门口的党群服务站，为居民提供为老服务、健康服务、文化活动和志愿服务。",
            }[kind]
            phone = f"021-{rng.choice('56')}{rng.randint(1_000_000, 9_999_999)}"
            created = self._days_ago(200, 900)
            rows.append((station.id, created, created, station.name, slug, kind, street.id, station.building.id if station.building else None,
                         station.neighbourhood.id if station.neighbourhood else None, address, station.lat, station.lng, phone, description, True))
            for tag in rng.sample(tags, rng.randint(1, 3)):
                tag_rows.append((station.id, tag))
            station.areas, station.rooms = [], []
            kinds = AREAS_BY_KIND[kind]
            chosen = [kinds[0]] + rng.sample(kinds[1:], rng.randint(2, min(5, len(kinds) - 1)))
            for position, area_kind in enumerate(chosen):
                name, (low, high), reservable_share = AREAS[area_kind]
                capacity = rng.randint(low, high)
                by_reservation = rng.random() < reservable_share
                area_id, area_pk = area_pk, area_pk + 1
                area_rows.append((area_id, station.id, area_kind, name, "reservation" if by_reservation else "walk_in", capacity, position))
                station.areas.append((area_id, area_kind, capacity))
                if by_reservation:
                    slot = 60 if rng.random() < 0.2 else 30
                    needs_approval = area_kind == "meeting" or rng.random() < 0.3
                    narrowed = rng.random() < 0.2
                    reservable_rows.append((area_id, slot, slot, 240 if slot == 30 else 180, 30 if rng.random() < 0.7 else 14, needs_approval,
                                            time(9) if narrowed else None, time(17) if narrowed else None))
                    station.rooms.append((area_id, capacity, needs_approval, slot))
            for position, (name, schedule, how) in enumerate(rng.sample(TEAMS, rng.choice((0, 0, 1, 1, 1, 2)))):
                team = f"{station.name.split('党群')[0][:6]}{name}"
                team_rows.append((station.id, team, f"{station.name}的{name}，欢迎加入。", schedule, how, position))
            for position, (name, how) in enumerate(rng.sample(SERVICES, rng.randint(2, 4))):
                provider = rng.choice(street.partners) if rng.random() < 0.3 else None
                service_rows.append((station.id, name, "", provider, how, position))
            station.staff = None
            street.stations.append(station)
            self.station_plans.append(station)
        tables.next_pk[FunctionArea] = area_pk

        tables.write(Station, ["id", "created_at", "updated_at", "name", "slug", "kind", "street_id", "building_id", "neighbourhood_id",
                               "address", "latitude", "longitude", "phone", "description", "is_active"], rows)
        through = Station.theme_tags.through
        pk = tables.ids(through, len(tag_rows))
        tables.write(through, ["id", "station_id", "themetag_id"], ((pk + i, *row) for i, row in enumerate(tag_rows)))
        pk = tables.ids(OpeningHours, len(hour_rows))
        tables.write(OpeningHours, ["id", "station_id", "weekday", "opens", "closes"], ((pk + i, *row) for i, row in enumerate(hour_rows)))
        pk = tables.ids(OpeningException, len(exception_rows))
        tables.write(OpeningException, ["id", "station_id", "date", "is_closed", "opens", "closes", "reason"],
                     ((pk + i, *row) for i, row in enumerate(exception_rows)))
        tables.write(FunctionArea, ["id", "station_id", "kind", "name", "access_mode", "capacity", "position"], area_rows)
        pk = tables.ids(ReservableArea, len(reservable_rows))
        tables.write(ReservableArea, ["id", "area_id", "slot_minutes", "min_minutes", "max_minutes", "max_days_ahead", "needs_approval",
                                      "opens", "closes"], ((pk + i, *row) for i, row in enumerate(reservable_rows)))
        pk = tables.ids(Team, len(team_rows))
        tables.write(Team, ["id", "station_id", "name", "description", "schedule", "how_to_join", "position"],
                     ((pk + i, *row) for i, row in enumerate(team_rows)))
        pk = tables.ids(ServiceItem, len(service_rows))
        tables.write(ServiceItem, ["id", "station_id", "name", "description", "provider_id", "how_to_get", "position"],
                     ((pk + i, *row) for i, row in enumerate(service_rows)))

    def _theme_tags(self):
        existing = dict(ThemeTag.objects.values_list("name", "pk"))
        pk = self.tables.ids(ThemeTag, len(THEME_TAGS))
        rows = []
        for name in THEME_TAGS:
            if name not in existing:
                existing[name], pk = pk, pk + 1
                rows.append((existing[name], name))
        self.tables.write(ThemeTag, ["id", "name"], rows)
        return [existing[name] for name in THEME_TAGS]

    def staff(self):
        """Station staff over stations, street admins over streets; their groups follow their roles (as staff_assign keeps them)."""
        rows = []
        for index, uid in sorted(self.station_staff.items()):
            station = self.station_plans[index]
            station.staff = uid
            rows.append((uid, "station_staff", None, station.id, None))
        for street in self.streets:
            if street.admin is not None:
                rows.append((street.admin, "street_admin", street.id, None, None))
        self._write_staff(rows)

    def _write_staff(self, rows, label=""):
        tables = self.tables
        pk = tables.ids(StaffAssignment, len(rows))
        created = self.now - timedelta(days=30)
        tables.write(StaffAssignment, ["id", "created_at", "updated_at", "user_id", "role", "street_id", "station_id", "merchant_id"],
                     ((pk + i, created, created, *row) for i, row in enumerate(rows)), label="portal.StaffAssignment" + label)
        groups = {role: roles.ensure_group(role).pk for role in roles.ROLES}
        known = set(User.groups.through.objects.filter(user_id__in=[r[0] for r in rows]).values_list("user_id", "group_id"))
        links = sorted({(uid, groups[role]) for uid, role, *_ in rows} - known)
        through = User.groups.through
        pk = tables.ids(through, len(links))
        tables.write(through, ["id", "user_id", "group_id"], ((pk + i, *row) for i, row in enumerate(links)),
                     label="portal.User_groups" + label)

    def _staff_of(self, station):
        return station.staff or station.street.admin

    # -----------------------------------------------------------------------
    # Events and bookings

    def events(self):
        rng, tables, sizes = self.rng, self.tables, self.sizes
        counts = allocate(sizes.events, [s.weight for s in self.station_plans]) if self.station_plans else []
        if sizes.events and not self.station_plans:
            raise ScaleError("Events need stations: --stations must be at least 1.")
        first_day = self.today - timedelta(weeks=PAST_WEEKS)
        span = (PAST_WEEKS + AHEAD_WEEKS) * 7
        self.event_plans, series_rows = [], []
        self._near_cache = {}
        series_pk = tables.ids(EventSeries, 0)
        for station, count in zip(self.station_plans, counts, strict=True):
            categories = CATEGORY_WEIGHTS[station.kind]
            busy = defaultdict(list)  # (area, day) → [(start, end)]
            made = 0
            attempts = 0
            while made < count:
                attempts += 1
                category = pick_weighted(rng, categories)
                if category == "delivery" and not self._enterprises_near(station):
                    category = "lunch_salon"
                times, weekdays_only, capacity_range = EVENT_TIMES[category]
                weeks = rng.randint(4, 10) if rng.random() < 0.1 and count - made >= 4 else 1
                weeks = min(weeks, count - made)
                day = first_day + timedelta(days=rng.randrange(span - 7 * (weeks - 1)))
                start, end = rng.choice(times)
                if (weekdays_only and day.weekday() > 4) or not fits(station.week[day.weekday()], start, end):
                    if attempts < count * 50:
                        continue
                    start, end, day = self._any_slot(station, first_day, span)  # a station open one day a week
                    weeks = 1
                plan = self._event_plan(station, category, day, start, end, capacity_range)
                series = None
                if weeks > 1:
                    series = series_pk
                    series_pk += 1
                    whole_course = category == "after_work" and rng.random() < 0.5
                    series_rows.append((series, plan, weeks, whole_course))
                for week in range(weeks):
                    occurrence_day = day + timedelta(weeks=week)
                    if occurrence_day in station.closed:
                        continue  # closed that day (a public holiday): the session doesn't take place
                    if made >= count:
                        break
                    event = self._event_plan(station, category, occurrence_day, start, end, capacity_range, like=plan) if week else plan
                    event.series = series
                    area = self._room_for(station, category, occurrence_day, start, end, busy)
                    event.area = area
                    self.event_plans.append(event)
                    made += 1
        tables.next_pk[EventSeries] = series_pk
        pk = tables.ids(Event, len(self.event_plans))
        for i, event in enumerate(self.event_plans):
            event.id = i + pk
        self._plan_bookings()
        self._write_events(series_rows)
        self._write_bookings()

    def _any_slot(self, station, first_day, span):
        rng = self.rng
        open_days = [d for d in range(7) if station.week[d]]
        while True:
            day = first_day + timedelta(days=rng.randrange(span))
            if day.weekday() in open_days:
                opens, closes = station.week[day.weekday()][0]
                start = opens + 30 if closes - opens > 120 else opens
                return start, min(start + 60, closes), day

    def _enterprises_near(self, station):
        """The enterprises of the station's street with verified members: the ones an activity can be delivered to."""
        near = self._near_cache.get(station.street.id)
        if near is None:
            near = [org for b in station.street.buildings for org in b.enterprises if self.verified_members.get(org)]
            self._near_cache[station.street.id] = near
        return near

    def _room_for(self, station, category, day, start, end, busy):
        rng = self.rng
        wanted = ("meeting", "other", "reading", "music_books", "handcraft") if category != "health" else ("health", "meeting", "other")
        candidates = [a for a in station.areas if a[1] in wanted]
        rng.shuffle(candidates)
        for area_id, _kind, _capacity in candidates:
            taken = busy[(area_id, day)]
            if all(end <= s or e <= start for s, e in taken):
                taken.append((start, end))
                return area_id
        return None

    def _event_plan(self, station, category, day, start, end, capacity_range, like=None):
        rng = self.rng
        event = EventPlan()
        event.station, event.category, event.day, event.start, event.end = station, category, day, start, end
        if like is not None:
            for name in ("capacity", "title", "audience", "organiser", "fee", "note", "private_for"):
                setattr(event, name, getattr(like, name))
        else:
            event.capacity = rng.randint(*capacity_range)
            event.fee, event.note, event.private_for = 0, "", None
            street = station.street
            if category == "lunch_salon":
                event.title = rng.choice(SALON_PATTERNS).format(rng.choice(SALON_TOPICS))
                event.audience, event.organiser = "office_workers" if rng.random() < 0.6 else "everyone", None
            elif category == "after_work":
                event.title = rng.choice(COURSE_PATTERNS).format(rng.choice(COURSES))
                event.audience, event.organiser = "office_workers", rng.choice(street.partners) if rng.random() < 0.3 else None
                if rng.random() < 0.4:
                    event.fee, event.note = rng.randint(4, 16) * 500, SUBSIDY_NOTE
            elif category == "culture":
                event.title, event.audience, event.organiser = rng.choice(CULTURE), "everyone", street.partners[1]
                if rng.random() < 0.05:
                    event.fee = rng.randint(2, 6) * 500
            elif category == "health":
                event.title, event.organiser = rng.choice(HEALTH), street.partners[0]
                event.audience = "residents" if rng.random() < 0.7 else "everyone"
            elif category == "volunteer":
                event.title, event.audience, event.organiser = rng.choice(VOLUNTEER), "everyone", street.committee
            elif category == "party_education":
                event.title, event.audience, event.organiser = rng.choice(PARTY_EDUCATION), "party_members", street.committee
            else:
                enterprise = rng.choice(self._enterprises_near(station))
                event.private_for = enterprise
                event.title = f"活动配送：{rng.choice(DELIVERY)}（{short_enterprise(self.org_name[enterprise])}专场）"
                event.audience, event.organiser = "office_workers", street.committee
                event.capacity = min(event.capacity, max(5, len(self.verified_members[enterprise]) + rng.randint(0, 10)))
        starts_at = at(day, start)
        past = day < self.today
        roll = rng.random()
        if past:
            event.status = "finished" if roll < 0.85 else ("published" if roll < 0.95 else "cancelled")
        else:
            event.status = "published" if roll < 0.9 else ("draft" if roll < 0.95 else "cancelled")
        # Published ten days to a month ahead; never after the run's now.
        event.published = min(starts_at - timedelta(days=rng.randint(10, 30), minutes=rng.randint(0, 600)),
                              self.now - timedelta(minutes=rng.randint(60, 4320)))
        event.opens = event.closes = event.deadline = None
        if rng.random() < 0.1:
            event.opens = event.published + timedelta(days=1)
        if rng.random() < 0.2:
            event.closes = starts_at - timedelta(hours=2)
        if rng.random() < 0.15:
            event.deadline = starts_at - timedelta(hours=24)
        event.attendance = past and event.status != "cancelled" and rng.random() < 0.9
        # When the status last changed: staff marked it finished after it ended, or cancelled it before it began.
        if event.status == "finished":
            event.changed = min(at(day, end) + timedelta(hours=rng.randint(1, 48)), self.now - timedelta(minutes=5))
        elif event.status == "cancelled":
            event.changed = max(min(starts_at - timedelta(hours=rng.randint(2, 72)), self.now - timedelta(minutes=5)),
                                event.published + timedelta(minutes=30))
        else:
            event.changed = event.published
        event.series = None
        event.area = None
        return event

    def _booking_window(self, event):
        starts_at = at(event.day, event.start)
        low = max(event.published, event.opens or event.published)
        high = min(starts_at - timedelta(minutes=30), event.closes or starts_at, self.now - timedelta(minutes=1))
        if event.status == "cancelled":
            high = min(high, event.changed - timedelta(minutes=1))  # nobody books a cancelled event
        return low, high

    def _plan_bookings(self):
        """Who books which event, with how many seats, and where each booking ends up: pass one of two.

        Kept in flat arrays (a million bookings as a few megabytes): the events' seat counters must be known
        before the events are written, the bookings' rows are made afterwards (`_write_bookings`) from the same plan.
        """
        rng, sizes = self.rng, self.sizes
        bookable = [e for e in self.event_plans if e.status != "draft" and self._booking_window(e)[0] < self._booking_window(e)[1]]
        everyone = self.users
        weights, caps = [], []
        for event in bookable:
            ahead = (event.day - self.today).days
            fill = 1.0 if ahead < 8 else (0.6 if ahead < 22 else 0.35)
            if event.status == "cancelled":
                fill *= 0.5
            weights.append(event.capacity * fill * rng.lognormvariate(0, 0.6))
            pool = len(self.verified_members[event.private_for]) if event.private_for else len(everyone)
            caps.append(min(pool, int(event.capacity * 1.6) + 3))
        if sizes.bookings > sum(caps):
            raise ScaleError(f"{sizes.bookings:,} bookings don't fit {len(bookable):,} bookable events and {len(everyone):,} people "
                             f"(at most {sum(caps):,}): ask for more events or users, or fewer bookings.")
        counts = allocate_capped(sizes.bookings, weights, caps)
        self.booking_users = array("q")
        self.booking_status = bytearray()  # 0 confirmed, 1 waitlisted, 2 cancelled, 3 attended, 4 no_show
        self.booking_seats = bytearray()
        for event in self.event_plans:
            event.first, event.count, event.seats = 0, 0, 0
        self._regulars = {}  # series → the people who come to its sessions
        # No-show days at free events, per person: three within EVENTS_NO_SHOW_WINDOW_DAYS would restrict them to waiting
        # lists (events.checkin.no_show_restriction), which later confirmed bookings of theirs would contradict.
        no_shows = defaultdict(list)
        window = settings.EVENTS_NO_SHOW_WINDOW_DAYS
        for event, n in zip(bookable, counts, strict=True):
            event.first, event.count = len(self.booking_status), n
            if n == 0:
                continue
            people = self._bookers(event, n)
            free, held = event.capacity, 0
            for uid in people:
                seats = 1
                if uid in self.group_bookers and rng.random() < 0.3:
                    seats = min(rng.randint(2, 5), event.capacity)
                if event.status == "cancelled" or rng.random() < 0.07:
                    status = 2
                elif seats <= free:
                    free -= seats
                    status = 0
                    if event.attendance:
                        status = 3 if rng.random() < 0.88 else 4
                        if status == 4 and event.fee == 0:
                            days = no_shows[uid]
                            if sum(1 for d in days if abs((d - event.day).days) < window) >= settings.EVENTS_NO_SHOW_THRESHOLD - 1:
                                status = 3  # they came after all: nobody in the data is restricted
                            else:
                                days.append(event.day)
                    if status != 4:
                        held += seats
                else:
                    status = 1
                self.booking_users.append(uid)
                self.booking_status.append(status)
                self.booking_seats.append(seats)
            event.seats = held

    def _bookers(self, event, n):
        """`n` different people for an event: mostly from its district; a weekly series keeps its regulars from session to session."""
        rng = self.rng
        regulars = self._regulars.get(event.series) if event.series else None
        if regulars is not None and len(regulars) >= n:
            return regulars[:n]
        people = list(regulars or ())
        chosen = set(people)
        if event.private_for:
            pool = [uid for uid in self.verified_members[event.private_for] if uid not in chosen]
            people += rng.sample(pool, n - len(people))
        else:
            local = event.station.street.district["users"]
            for uid in rng.sample(local, min(len(local), round(n * 0.75))):
                if len(people) < n and uid not in chosen:
                    chosen.add(uid)
                    people.append(uid)
            everyone = self.users
            while len(people) < n:
                uid = everyone[rng.randrange(len(everyone))]
                if uid not in chosen:
                    chosen.add(uid)
                    people.append(uid)
        if event.series:
            self._regulars[event.series] = people
        return people

    def _write_events(self, series_rows):
        tables = self.tables
        descriptions = EVENT_DESCRIPTIONS

        def series():
            for pk, plan, weeks, whole_course in series_rows:
                yield (pk, plan.published, plan.published, plan.station.id, plan.area, plan.organiser, plan.title,
                       descriptions[plan.category], plan.category, plan.audience, plan.day, weeks, as_time(plan.start), as_time(plan.end),
                       plan.capacity, plan.fee, plan.note, whole_course)

        tables.write(EventSeries, ["id", "created_at", "updated_at", "station_id", "function_area_id", "organiser_id", "title",
                                   "description", "category", "audience", "first_date", "weekly_count", "start_time", "end_time", "capacity",
                                   "fee_fen", "subsidy_note", "whole_course"], series())

        def events():
            for e in self.event_plans:
                starts_at, ends_at = at(e.day, e.start), at(e.day, e.end)
                yield (e.id, e.published, e.changed, e.station.id, e.area, e.organiser, e.title, descriptions[e.category], e.category,
                       e.audience, starts_at, ends_at, e.capacity, e.seats, e.opens, e.closes, e.deadline, e.fee, e.note, e.status,
                       e.private_for, e.series)

        tables.write(Event, ["id", "created_at", "updated_at", "station_id", "function_area_id", "organiser_id", "title", "description",
                             "category", "audience", "starts_at", "ends_at", "capacity", "confirmed_seats", "booking_opens_at",
                             "booking_closes_at", "cancellation_deadline", "fee_fen", "subsidy_note", "status", "private_for_id",
                             "series_id"], events())

    def _write_bookings(self):
        """Pass two: the booking rows from the plan, with their times, codes and check-ins."""
        rng, tables = self.rng, self.tables
        total = len(self.booking_status)
        first = tables.ids(Booking, total)
        # Codes are a bijection of the id, so they never repeat; only a code of a booking made elsewhere could clash.
        existing = set(Booking.objects.values_list("code", flat=True)) if Booking.objects.exists() else set()
        names = ("confirmed", "waitlisted", "cancelled", "attended", "no_show")
        users, statuses, seats_of = self.booking_users, self.booking_status, self.booking_seats

        def rows():
            for event in self.event_plans:
                if not event.count:
                    continue
                low, high = self._booking_window(event)
                span = (high - low).total_seconds()
                offsets = sorted(rng.random() * span for _ in range(event.count))
                starts_at, ends_at = at(event.day, event.start), at(event.day, event.end)
                last_cancel = min(event.deadline or starts_at, starts_at, self.now - timedelta(seconds=30))
                for k in range(event.count):
                    index = event.first + k
                    pk = first + index
                    created = low + timedelta(seconds=int(offsets[k]))
                    status = statuses[index]
                    confirmed_at = cancelled_at = checked_in_at = None
                    updated = created
                    if status in (0, 3, 4):
                        confirmed_at = created
                    if status == 2:
                        if event.status == "cancelled":
                            cancelled_at = event.changed
                        else:
                            room = (last_cancel - created).total_seconds()
                            cancelled_at = created + timedelta(seconds=int(rng.random() * room)) if room > 0 else created
                        updated = max(cancelled_at, created)
                    elif status == 3:
                        checked_in_at = starts_at - timedelta(seconds=rng.randint(0, 900))
                        updated = checked_in_at
                    elif status == 4:
                        updated = min(ends_at + timedelta(hours=1), self.now - timedelta(seconds=1))
                    code = booking_code(pk)
                    if code in existing:
                        code = booking_code(pk + CODE_SPACE // 2)
                    yield (pk, created, updated, event.id, users[index], seats_of[index], names[status], code, confirmed_at, cancelled_at,
                           checked_in_at)

        tables.write(Booking, ["id", "created_at", "updated_at", "event_id", "user_id", "seats", "status", "code", "confirmed_at",
                               "cancelled_at", "checked_in_at"], rows())
        del self.booking_users, self.booking_status, self.booking_seats

    # -----------------------------------------------------------------------
    # Room reservations

    def reservations(self):
        rng, tables = self.rng, self.tables
        monday = self.today - timedelta(days=self.today.weekday())
        quota_rows, quotas = [], {}
        for station in self.station_plans:
            if station.rooms and rng.random() < 0.1:
                quotas[station.id] = rng.choice((6, 8, 10))
                quota_rows.append((station.id, None, quotas[station.id]))
        pk = tables.ids(ReservationQuota, len(quota_rows))
        tables.write(ReservationQuota, ["id", "station_id", "organisation_id", "hours_per_week"],
                     ((pk + i, *row) for i, row in enumerate(quota_rows)))
        used = defaultdict(float)  # (organisation, station, monday) → hours
        rows = []
        for station in self.station_plans:
            local = station.street.district["users"]
            if not local:
                continue
            for area_id, capacity, needs_approval, _slot in station.rooms:
                if rng.random() >= 0.35:
                    continue
                days = [monday + timedelta(days=d) for d in rng.sample(range(12), rng.randint(1, 3)) if d % 7 < 5]
                for day in sorted(days):
                    if day in station.closed:
                        continue
                    start, end = (840, 960) if rng.random() < 0.6 else (600, 660)
                    starts_at, ends_at = at(day, start), at(day, end)
                    uid = rng.choice(local)
                    organisation = rng.choice(self.ties[uid]) if self.ties.get(uid) and rng.random() < 0.5 else None
                    if organisation is not None and station.id in quotas:
                        key = (organisation, station.id, monday if day < monday + timedelta(days=7) else monday + timedelta(days=7))
                        if used[key] + (end - start) / 60 > quotas[station.id]:
                            organisation = None  # over the organisation's hours: the person books for themselves
                        else:
                            used[key] += (end - start) / 60
                    past = day < self.today
                    roll = rng.random()
                    if past:
                        status = "approved" if roll < 0.85 else "cancelled"
                    elif needs_approval:
                        status = "pending" if roll < 0.4 else ("approved" if roll < 0.85 else ("rejected" if roll < 0.92 else "cancelled"))
                    else:
                        status = "approved" if roll < 0.9 else "cancelled"
                    created = min(starts_at - timedelta(days=rng.randint(1, 10)), self.now - timedelta(hours=rng.randint(1, 48)))
                    decided = status in ("approved", "rejected") and needs_approval
                    staff = self._staff_of(station)
                    decided_at = min(created + timedelta(hours=rng.randint(1, 20)), self.now - timedelta(minutes=10)) if decided else None
                    updated = decided_at or created
                    remark = "该时段已安排街道活动，请改约其他时间。" if status == "rejected" else ""
                    rows.append((created, updated, area_id, uid, organisation, starts_at, ends_at, rng.choice(RESERVATION_PURPOSES),
                                 rng.randint(1, capacity), status, False, remark, staff if decided else None, decided_at))
        pk = tables.ids(Reservation, len(rows))
        tables.write(Reservation, ["id", "created_at", "updated_at", "area_id", "user_id", "organisation_id", "starts_at", "ends_at",
                                   "purpose", "attendees", "status", "is_block", "staff_remark", "decided_by_id", "decided_at"],
                     ((pk + i, *row) for i, row in enumerate(rows)))

    # -----------------------------------------------------------------------
    # Micro-wishes, their beneficiaries, campaigns and claims

    def wishes(self):
        rng, tables, sizes = self.rng, self.tables, self.sizes
        if sizes.wishes and not self.station_plans:
            raise ScaleError("Wishes need stations: --stations must be at least 1.")
        if not sizes.wishes:
            return
        picker = Picker(self.station_plans, [{"neighbourhood": 3.0, "centre": 2.0, "building": 0.4, "park": 0.3}[s.kind] * s.weight
                                             for s in self.station_plans])
        stations = [picker(rng) for _ in range(sizes.wishes)]
        self._campaigns(sorted({s.street.id: s.street for s in stations}.values(), key=lambda s: s.id))

        status_picker = Picker(list(WISH_STATUS_WEIGHTS), list(WISH_STATUS_WEIGHTS.values()))
        party_by_district = defaultdict(list)
        for uid in self.party_members:
            party_by_district[self.user_district[uid]["name"]].append(uid)
        open_claims = defaultdict(int)
        limit = settings.WISHES_MAX_OPEN_CLAIMS
        wish_first = tables.ids(Wish, sizes.wishes)
        beneficiaries = []  # [id, station, neighbourhood, name, gender, birth_year, hardship, first day, consent day]
        by_station = defaultdict(list)
        b_first = tables.ids(Beneficiary, 0)
        wish_rows, history, claims, visits = [], [], [], []
        claim_pk = tables.ids(Claim, 0)
        words = self.words

        def claimer_for(station):
            local = party_by_district.get(station.street.district["name"]) or []
            for pool in (local, self.party_members):
                for _ in range(8 if pool else 0):
                    uid = pool[rng.randrange(len(pool))]
                    if open_claims[uid] < limit:
                        return uid
            for uid in self.party_members:  # few members left with room: the first who has some
                if open_claims[uid] < limit:
                    return uid
            return None

        for index, station in enumerate(stations):
            wish_id = wish_first + index
            # The first wishes go through every status in turn, so even the smallest run shows each; then by weight.
            status = WISH_STATUSES[index] if index < len(WISH_STATUSES) else status_picker(rng)
            # The beneficiary: one the station already looks after, or someone new.
            known = by_station[station.id]
            if known and rng.random() < 0.35:
                beneficiary = rng.choice(known)
            else:
                hardship = pick_weighted(rng, HARDSHIP_WEIGHTS)
                gender = "f" if rng.random() < 0.6 else "m"
                elderly = hardship in ("elderly_alone", "needy_member")
                born = {"elderly_alone": (1930, 1955), "disabled": (1945, 1985), "needy_member": (1935, 1960),
                        "low_income": (1960, 1990), "other": (1940, 1985)}[hardship]
                birth_year = rng.randint(*born)
                street = station.street
                neighbourhood = station.neighbourhood or rng.choice(street.neighbourhoods)
                beneficiary = [b_first + len(beneficiaries), station, neighbourhood, person_name(rng, gender, elderly=elderly and rng.random() < 0.6),
                               gender, birth_year, hardship, None, None]
                beneficiaries.append(beneficiary)
                known.append(beneficiary)
            # What is wished for.
            roll = rng.random()
            recurrence, people = "", 1
            child_ok = beneficiary[6] == "low_income"
            if roll < 0.55:
                category = "goods"
                title, (low, high), story = rng.choice([w for w in GOODS_WISHES if child_ok or "孩子" not in w[2]])
            elif roll < 0.9:
                category = "service"
                title, (low, high), story, repeats, served = rng.choice([w for w in SERVICE_WISHES if child_ok or "孩子" not in w[2]])
                people = rng.randint(*served)
                if repeats and rng.random() < 0.5:
                    recurrence = "monthly" if rng.random() < 0.8 else "weekly"
                    title = ("每月" if recurrence == "monthly" else "每周") + title
            else:
                category = "companionship"
                title, (low, high), story = rng.choice(COMPANION_WISHES)
            value = Decimal(rng.randint(low // 10, high // 10) * 10) if high else Decimal(0)
            staff = self._staff_of(station)

            # When each step happened, from the status backwards.
            T, r = self.today, rng.randint
            days = {}
            claim_day = None
            if status == "draft":
                days["created"] = T - timedelta(days=r(1, 20))
            elif status == "review":
                days["created"] = T - timedelta(days=r(2, 25))
                days["submitted"] = days["created"] + timedelta(days=r(0, 1))
            elif status == "expired":
                days["published"] = T - timedelta(days=r(92, 300))
            elif status == "withdrawn":
                withdrawn = T - timedelta(days=r(1, 200))
                days["withdrawn"] = withdrawn
                if rng.random() < 0.8:
                    days["published"] = withdrawn - timedelta(days=r(1, 60))
                else:
                    days["created"] = withdrawn - timedelta(days=r(1, 10))
            elif status == "published":
                days["published"] = T - timedelta(days=r(1, 85))
            else:
                if status == "claimed":
                    claim_day = T - timedelta(days=r(1, 150) if recurrence else r(1, 12))
                elif status == "reported":
                    days["reported"] = T - timedelta(days=r(1, 20))
                    claim_day = days["reported"] - timedelta(days=r(1, 12))
                else:
                    days["confirmed"] = T - timedelta(days=r(2, 330))
                    days["reported"] = days["confirmed"] - timedelta(days=r(1, 5))
                    claim_day = days["reported"] - timedelta(days=r(1, 12))
                days["published"] = claim_day - timedelta(days=r(0, 30))
            if "published" in days:
                days["created"] = days["published"] - timedelta(days=r(1, 5))
                if rng.random() < 0.5:
                    days["submitted"] = days["created"] + timedelta(days=r(0, (days["published"] - days["created"]).days))
            created_day = days["created"]

            # The campaign, when the wish was written during one of its street's.
            campaign, campaign_end = None, None
            for c_id, starts_on, ends_on in station.street.campaigns:
                if starts_on <= created_day <= ends_on and rng.random() < 0.7:
                    campaign, campaign_end = c_id, ends_on
                    break

            # The claims: one live claim for claimed, reported and fulfilled wishes, sometimes after one released at its deadline.
            claimer = claimer_for(station) if claim_day else None
            if claim_day and claimer is None:
                status, claim_day = "published", None  # nobody left to claim it
                days = {k: v for k, v in days.items() if k in ("created", "submitted", "published")}
            published = days.get("published")
            released = None
            horizon = claim_day or (T if status == "published" else None)
            if published and horizon and (horizon - published).days > 16 and rng.random() < 0.08:
                first_claim = published + timedelta(days=r(0, (horizon - published).days - 16))
                other = claimer_for(station)
                if other is not None and other != claimer:
                    released = (first_claim, other)

            # The wish's history, in order.
            events = [(at(created_day, 540 + r(0, 59)), staff, "", "draft", "")]
            if "submitted" in days:
                events.append((at(days["submitted"], 600 + r(0, 59)), staff, "draft", "review", ""))
            published_at = expires_on = None
            if published:
                published_at = at(published, 660 + r(0, 59))
                events.append((published_at, staff, events[-1][3], "published", ""))
                expires_on = published + timedelta(days=settings.WISHES_PUBLISHED_DAYS)
                if campaign_end and status != "expired":
                    expires_on = max(expires_on, campaign_end)
            if released:
                first_claim, other = released
                claimed_at = at(first_claim, 840 + r(0, 59))
                deadline = claimed_at + timedelta(days=settings.WISHES_CLAIM_DAYS)
                released_at = deadline + timedelta(minutes=r(1, 30))
                who = self.names[other]
                events.append((claimed_at, other, "published", "claimed", words["Claimed by {who}"].format(who=who)))
                events.append((released_at, None, "claimed", "published", words["Not fulfilled by the deadline."]))
                expires_on = max(expires_on, (released_at + timedelta(days=settings.WISHES_CLAIM_DAYS)).date())
                claims.append((claim_pk, claimed_at, released_at, wish_id, other, None, "released", deadline, None, "", None, "", None, None,
                               words["Not fulfilled by the deadline."], *reminders_as_if_swept(deadline, deadline)))
                claim_pk += 1
            thanks, thanks_public = "", False
            if claimer is not None:
                open_claims[claimer] += status in ("claimed", "reported")
                organisation = self.representatives.get(claimer) if rng.random() < 0.6 else None
                who = self.org_name[organisation] if organisation else self.names[claimer]
                claimed_at = at(claim_day, 840 + r(0, 59))
                deadline = claimed_at + timedelta(days=settings.WISHES_CLAIM_DAYS)
                commitment_until = None
                if recurrence:
                    period_end = claimed_at + timedelta(days=round(30.44 * settings.WISHES_SERVICE_MONTHS))
                    deadline, commitment_until = max(deadline, period_end), period_end.date()
                events.append((claimed_at, claimer, "published", "claimed", words["Claimed by {who}"].format(who=who)))
                report = reported_at = confirmed_at = confirmed_by = None
                claim_status, last = "active", claimed_at
                if "reported" in days:
                    report = rng.choice(REPORTS)
                    reported_at = at(days["reported"], 960 + r(0, 59))
                    events.append((reported_at, claimer, "claimed", "reported", report))
                    claim_status, last = "reported", reported_at
                if "confirmed" in days:
                    confirmed_at, confirmed_by = at(days["confirmed"], 600 + r(0, 59)), staff
                    events.append((confirmed_at, staff, "reported", "fulfilled", ""))
                    claim_status, last = "confirmed", confirmed_at
                    if rng.random() < 0.35:
                        thanks, thanks_public = rng.choice(THANKS), rng.random() < 0.6
                claims.append((claim_pk, claimed_at, last, wish_id, claimer, organisation, claim_status, deadline, commitment_until,
                               report or "", reported_at, "", confirmed_at, confirmed_by, "",
                               *(reminders_as_if_swept(deadline, self.now) if claim_status == "active" else (None, 0))))
                if recurrence and claim_status == "active":
                    step = 30 if recurrence == "monthly" else 7
                    for n in range(1, 7):
                        on = claim_day + timedelta(days=step * n)
                        if on >= T:
                            break
                        visits.append((claim_pk, on, r(1, people), "", claimer, at(on, 900 + r(0, 59))))
                claim_pk += 1
            if status == "withdrawn":
                events.append((at(days["withdrawn"], 900 + r(0, 59)), staff, events[-1][3], "withdrawn", rng.choice(WITHDRAW_REASONS)))
            if status == "expired":
                events.append((at(expires_on + timedelta(days=1), 120 + r(0, 30)), None, "published", "expired", words["No one claimed it in time."]))
            for moment, actor, from_status, to_status, note in events:
                history.append((wish_id, min(moment, self.now - timedelta(seconds=1)), actor, from_status, to_status, note))

            # The beneficiary agreed before anything went on the wall, and was known before the first wish.
            first_day = created_day - timedelta(days=r(0, 30))
            if beneficiary[7] is None or first_day < beneficiary[7]:
                beneficiary[7] = first_day
            if published and (beneficiary[8] is None or created_day < beneficiary[8]):
                beneficiary[8] = created_day
            alias = surname_of(beneficiary[3]) + self._form_of_address(beneficiary[4], created_day.year - beneficiary[5])
            updated = min(events[-1][0], self.now - timedelta(seconds=1))
            wish_rows.append((wish_id, events[0][0], updated, beneficiary[0], station.id, campaign, alias, title, story, category, value,
                              people, recurrence, status, published_at, expires_on, thanks, thanks_public))

        rows = []
        for b_id, station, neighbourhood, name, gender, birth_year, hardship, first_day, consent_day in beneficiaries:
            road = rng.choice(station.street.district["roads"])
            address = f"{road}{rng.randint(1, 999)}弄{rng.randint(1, 80)}号{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
            phone = f"6{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.6 else f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            if consent_day is None and rng.random() < 0.6:
                consent_day = first_day
            created = at(first_day, 480 + rng.randint(0, 59))
            notes = rng.choice(("", "", "独居，子女在外地。", "行动不便，上门前请先电话联系。", "听力不好，请大声说话。"))
            rows.append((b_id, created, created, name, gender, birth_year, station.id, neighbourhood.id, address, phone, hardship,
                         consent_day, self._staff_of(station) if consent_day else None, notes))
        tables.next_pk[Beneficiary] = b_first + len(beneficiaries)
        tables.write(Beneficiary, ["id", "created_at", "updated_at", "full_name", "gender", "birth_year", "station_id", "neighbourhood_id",
                                   "address", "phone", "hardship", "consent_on", "consent_recorded_by_id", "notes"], rows)
        tables.write(Wish, ["id", "created_at", "updated_at", "beneficiary_id", "station_id", "campaign_id", "alias", "title", "story",
                            "category", "estimated_value", "people_served", "recurrence", "status", "published_at", "expires_on",
                            "thanks_note", "thanks_is_public"], wish_rows)
        pk = tables.ids(WishEvent, len(history))
        tables.write(WishEvent, ["id", "wish_id", "at", "actor_id", "from_status", "to_status", "note"],
                     ((pk + i, *row) for i, row in enumerate(history)))
        tables.next_pk[Claim] = claim_pk
        tables.write(Claim, ["id", "created_at", "updated_at", "wish_id", "claimer_id", "organisation_id", "status", "deadline",
                             "commitment_until", "report_note", "reported_at", "sent_back_note", "confirmed_at", "confirmed_by_id",
                             "released_note", "reminded_at", "reminders_sent"], claims)
        pk = tables.ids(ServiceVisit, len(visits))
        tables.write(ServiceVisit, ["id", "claim_id", "on", "people_served", "note", "recorded_by_id", "created_at"],
                     ((pk + i, *row) for i, row in enumerate(visits)))

    @staticmethod
    def _form_of_address(gender, age):
        """胡阿姨, 王老伯: as Beneficiary.default_alias makes it."""
        if gender == "f":
            return "奶奶" if age >= 80 else "阿姨"
        return "老伯" if age >= 60 else "师傅"

    def _campaigns(self, streets):
        """A wish drive running now in some streets, one from earlier in the year in others, each with its stations and targets."""
        rng, tables = self.rng, self.tables
        rows, station_rows, target_rows = [], [], []
        pk = tables.ids(Campaign, 0)
        for street in streets:
            drives = []
            if rng.random() < 0.6:
                starts = self.today - timedelta(days=rng.randint(20, 60))
                drives.append((starts, self.today + timedelta(days=rng.randint(20, 60))))
            if rng.random() < 0.6:
                ends = self.today - timedelta(days=rng.randint(90, 200))
                drives.append((ends - timedelta(days=rng.randint(30, 60)), ends))
            for starts_on, ends_on in drives:
                name = f"{street.name}{starts_on.year}年{FESTIVALS[starts_on.month]}微心愿认领"
                created = at(starts_on - timedelta(days=7), 600)
                rows.append((pk, created, created, name, street.id, starts_on, ends_on, rng.randint(4, 16) * 5,
                             "党员认领困难群众的微心愿，由党群服务站对接送达。"))
                for station in street.stations[:10]:
                    station_rows.append((pk, station.id))
                for org in rng.sample(street.party_orgs, min(len(street.party_orgs), 5)):
                    target_rows.append((pk, org, rng.randint(3, 10)))
                street.campaigns.append((pk, starts_on, ends_on))
                pk += 1
        tables.next_pk[Campaign] = pk
        tables.write(Campaign, ["id", "created_at", "updated_at", "name", "street_id", "starts_on", "ends_on", "target_wishes", "description"],
                     rows)
        through = Campaign.stations.through
        first = tables.ids(through, len(station_rows))
        tables.write(through, ["id", "campaign_id", "station_id"], ((first + i, *row) for i, row in enumerate(station_rows)))
        first = tables.ids(CampaignTarget, len(target_rows))
        tables.write(CampaignTarget, ["id", "campaign_id", "organisation_id", "wishes"], ((first + i, *row) for i, row in enumerate(target_rows)))

    # -----------------------------------------------------------------------
    # White-collar lunch

    def lunch(self):
        streets = self._lunch_streets()
        points = self._pickup_points(streets)
        merchants = self._merchants(streets, points)
        days = self._lunch_days()
        offers = self._offers(merchants, days)
        policies = self._policies(streets, days)
        orders = self._plan_orders(streets, points, offers, days) if self.sizes.lunch_orders else []
        self._budgets(policies, orders)
        self._prices(policies, orders)
        self._write_lunch(merchants, points, policies, offers, orders)

    def _lunch_streets(self):
        """The streets with a white-collar lunch: those with the most office workers (and a place for a lunch point)."""
        counts = {s.id: len(self.workers_of_street[s]) + len(self.unverified_workers_of_street[s]) for s in self.streets}
        ranked = sorted(self.streets, key=lambda s: (-counts[s.id], -len(s.stations), s.id))
        return ranked[: max(1, min(len(ranked), self.n_merchants // 2))]

    def _pickup_points(self, streets):
        rng = self.rng
        names = Names(PickupPoint.objects.values_list("street_id", "name"))
        pk = self.tables.ids(PickupPoint, 0)
        points = []
        for street in streets:
            street_points = []
            for station in [s for s in street.stations if s.kind in ("building", "park", "centre")][:6]:
                base = f"{station.building.name}白领午餐点" if station.building else f"{short_street(street.name)}党群服务中心午餐点"
                window = (690, 780) if rng.random() < 0.8 else (660, 810)
                street_points.append({"id": pk, "name": names.claim(street.id, base), "street": street, "station": station, "building": None,
                                      "address": rng.choice(("服务站一楼取餐台", "服务站门口取餐台", "服务站休息区取餐柜")), "window": window,
                                      "quota": None})
                pk += 1
            lobbies = [b for b in street.buildings if b.station is None]
            if lobbies and (not street_points or rng.random() < 0.25):
                building = rng.choice(lobbies)
                street_points.append({"id": pk, "name": names.claim(street.id, f"{building.name}大堂送餐点"), "street": street, "station": None,
                                      "building": building, "address": "一楼大堂取餐柜（送餐上门）", "window": (690, 780),
                                      "quota": rng.choice((20, 30, 40))})
                pk += 1
            if not street_points:  # neither a station nor a free building: the street's first building takes the lobby point
                building = street.buildings[0]
                street_points.append({"id": pk, "name": names.claim(street.id, f"{building.name}大堂送餐点"), "street": street, "station": None,
                                      "building": building, "address": "一楼大堂取餐柜（送餐上门）", "window": (690, 780), "quota": 30})
                pk += 1
            street.lunch_points = street_points
            points += street_points
        self.tables.next_pk[PickupPoint] = pk
        return points

    def _merchants(self, streets, points):
        rng, tables = self.rng, self.tables
        org_pk = tables.ids(Organisation, 0)
        merchant_pk = tables.ids(Merchant, 0)
        meal_pk = tables.ids(Meal, 0)
        merchants = []
        staff = list(self.by_persona["merchant_staff"])
        for n in range(self.n_merchants):
            street = streets[n % len(streets)]
            district = street.district
            name = self.org_names.make((street.id, "merchant"), rng,
                                       lambda r, s=street: f"{r.choice(MERCHANT_PREFIXES)}{r.choice(MERCHANT_KINDS)}（{short_street(s.name)}店）")
            first_of_street = n < len(streets)
            suspended = not first_of_street and rng.random() < 0.05
            if suspended:
                expires = self.today - timedelta(days=rng.randint(1, 20))
            elif rng.random() < 0.08:
                expires = self.today + timedelta(days=rng.randint(8, 30))
            else:
                expires = self.today + timedelta(days=rng.randint(60, 700))
            serial = rng.randint(1, 999_999)
            merchant = {
                "id": merchant_pk, "org": org_pk, "name": name, "street": street, "suspended": suspended, "expires": expires,
                "licence": f"JY{rng.choice('2223')}3101{DISTRICTS[[d[0] for d in DISTRICTS].index(district['name'])][1]:02d}{serial:06d}{serial % 7}",
                "rating": rng.choice("AAAB BBC".replace(" ", "")), "pay_at_pickup": rng.random() < 0.5,
                "discount": rng.choice((0, 200, 200, 300, 300, 500)), "staff": staff[n] if n < len(staff) else None, "meals": [],
            }
            dishes = rng.sample(DISHES, rng.randint(4, 6))
            for index, (dish, allergens, description) in enumerate(dishes):
                active = not (index == 0 and rng.random() < 0.1)
                merchant["meals"].append({"id": meal_pk, "name": dish, "allergens": allergens, "description": description,
                                          "price": rng.choice((2500, 2600, 2700, 2800)), "active": active})
                meal_pk += 1
            street_points = street.lunch_points
            merchant["points"] = rng.sample(street_points, min(len(street_points), rng.randint(2, 4)))
            merchants.append(merchant)
            org_pk, merchant_pk = org_pk + 1, merchant_pk + 1
        # Every point is served by at least one merchant of its street.
        for point in points:
            served = [m for m in merchants if point in m["points"]]
            if not served:
                candidates = [m for m in merchants if m["street"] is point["street"]]
                rng.choice(candidates)["points"].append(point)
        for merchant in merchants:
            merchant["points"].sort(key=lambda p: p["id"])
        tables.next_pk[Organisation], tables.next_pk[Merchant], tables.next_pk[Meal] = org_pk, merchant_pk, meal_pk
        return merchants

    def _lunch_days(self):
        """(past workdays, today if a workday, the next workdays): Monday to Friday, the fixed holidays skipped."""
        def workday(day):
            return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS

        past, day = [], self.today - timedelta(days=1)
        while len(past) < LUNCH_PAST_WORKDAYS:
            if workday(day):
                past.append(day)
            day -= timedelta(days=1)
        coming, day = [], self.today
        while len(coming) < LUNCH_AHEAD_WORKDAYS + workday(self.today):
            if workday(day):
                coming.append(day)
            day += timedelta(days=1)
        return sorted(past) + coming

    def _offers(self, merchants, days):
        """Each merchant's two or three meals a day, taking turns through its menu, until its licence ran out."""
        rng = self.rng
        offers = []
        pk = self.tables.ids(DailyOffer, 0)
        for day in days:
            for merchant in merchants:
                if merchant["expires"] < day:
                    continue
                menu = [m for m in merchant["meals"] if m["active"]]
                count = min(len(menu), 2 + (day.toordinal() + merchant["id"]) % 2)
                start = day.toordinal() % len(menu)
                cutoff = 630 if merchant["id"] % 4 else 600
                for meal in (menu[(start + k) % len(menu)] for k in range(count)):
                    offers.append({"id": pk, "day": day, "merchant": merchant, "meal": meal, "cutoff": at(day, cutoff), "sold": 0,
                                   "points": {p["id"]: 0 for p in merchant["points"]}, "weight": rng.uniform(0.5, 1.5), "last": None})
                    pk += 1
        self.tables.next_pk[DailyOffer] = pk
        return offers

    def _policies(self, streets, days):
        rng = self.rng
        valid_from = date(days[0].year, 1, 1) if days else self.today.replace(month=1, day=1)
        pk = self.tables.ids(SubsidyPolicy, 0)
        policies = []
        for street in streets:
            policies.append({"id": pk, "street": street, "name": f"{short_street(street.name)}白领午餐补贴", "audience": "workers",
                             "subsidy": rng.choice((800, 1000, 1000, 1200)), "neighbourhoods": [], "valid_from": valid_from,
                             "eligible": set(self.workers_of_street[street])})
            pk += 1
            if street.neighbourhoods and rng.random() < 0.4:
                chosen = rng.sample(street.neighbourhoods, min(len(street.neighbourhoods), rng.randint(2, 4)))
                eligible = {uid for n in chosen for uid in self.residents_of[n.id]}
                policies.append({"id": pk, "street": street, "name": f"{short_street(street.name)}老年助餐补贴", "audience": "elderly",
                                 "subsidy": rng.choice((600, 800)), "neighbourhoods": chosen, "valid_from": valid_from, "eligible": eligible})
                pk += 1
        self.tables.next_pk[SubsidyPolicy] = pk
        # Best subsidy first, as lunch.services.policies_for orders them.
        street_policies = defaultdict(list)
        for policy in sorted(policies, key=lambda p: (-p["subsidy"], p["id"])):
            street_policies[policy["street"].id].append(policy)
        self.street_policies = street_policies
        return policies

    def _plan_orders(self, streets, points, offers, days):
        """Who orders which meal where on which day, and what became of it (prices come later, once budgets are set)."""
        rng, sizes = self.rng, self.sizes
        # The people who eat at each street's points: its verified and unverified office workers, the elderly of its
        # policies' neighbourhoods; people from elsewhere fill in when the orders asked for need more.
        pools, taken = {}, set()
        for street in streets:
            pool = []
            for uid in self.workers_of_street[street] + self.unverified_workers_of_street[street]:
                if uid not in taken:
                    taken.add(uid)
                    pool.append(uid)
            for policy in self.street_policies[street.id]:
                for uid in sorted(policy["eligible"]):
                    if uid not in taken:
                        taken.add(uid)
                        pool.append(uid)
            pools[street.id] = pool
        # A past workday has its full share; the coming ones fewer, the further ahead (people order the evening before).
        coming = [day for day in days if day >= self.today]
        weights = [1.0 if day < self.today else (0.9, 0.6, 0.35, 0.2, 0.1)[min(coming.index(day), 4)] for day in days]
        per_day = allocate(sizes.lunch_orders, weights)
        busiest = max(per_day)
        others = [uid for uid in self.users if uid not in taken]
        rng.shuffle(others)
        need = math.ceil(busiest * 1.3) - sum(len(p) for p in pools.values())
        for n, uid in enumerate(others[: max(0, need)]):
            pools[streets[n % len(streets)].id].append(uid)
        if sum(len(p) for p in pools.values()) < busiest:
            raise ScaleError(f"{sizes.lunch_orders:,} lunch orders need at least {busiest:,} people ordering on the busiest day "
                             f"(one order a day each); ask for more users or fewer orders.")
        home = {uid: rng.choice(street.lunch_points)["id"] for street in streets for uid in pools[street.id]}
        offers_of = defaultdict(list)  # (day, point) → offers serving it
        for offer in offers:
            for point_id in offer["points"]:
                offers_of[(offer["day"], point_id)].append(offer)
        no_shows = defaultdict(list)
        codes = {}
        orders = []
        window_of = {p["id"]: p["window"] for p in points}
        street_ids = [s.id for s in streets]
        for day, count in zip(days, per_day, strict=True):
            ahead = (day - self.today).days
            shares = allocate_capped(count, [len(pools[s]) for s in street_ids], [len(pools[s]) for s in street_ids])
            for street, share in zip(streets, shares, strict=True):
                if not share:
                    continue
                street_points = [p["id"] for p in street.lunch_points if offers_of.get((day, p["id"]))]
                if not street_points:
                    raise ScaleError(f"No lunch is offered in {street.name} on {day}.")
                for uid in rng.sample(pools[street.id], share):
                    point = home[uid] if offers_of.get((day, home[uid])) else rng.choice(street_points)
                    candidates = offers_of[(day, point)]
                    offer = rng.choices(candidates, weights=[o["weight"] for o in candidates])[0]
                    quantity = 1 if rng.random() < 0.92 else (2 if rng.random() < 0.75 else 3)
                    roll = rng.random()
                    if ahead < 0:
                        status = "cancelled" if roll < 0.05 else ("not_collected" if roll < 0.09 else "picked_up")
                    else:
                        status = "cancelled" if roll < 0.06 else "placed"
                    if ahead < 0:
                        placed = at(day - timedelta(days=1), rng.randint(1020, 1350), rng.randint(0, 59)) if rng.random() < 0.7 \
                            else at(day, rng.randint(420, int((offer["cutoff"] - at(day, 0)).total_seconds() // 60) - 10), rng.randint(0, 59))
                    else:
                        placed = self.now - timedelta(minutes=rng.randint(5, 3 * 1440))
                    merchant = offer["merchant"]
                    recent = [d for d in no_shows[uid] if (day - d).days <= settings.LUNCH_NO_SHOW_WINDOW_DAYS]
                    payment = "pickup" if merchant["pay_at_pickup"] and rng.random() < 0.25 and len(recent) < settings.LUNCH_NO_SHOW_LIMIT \
                        else "balance"
                    if status == "not_collected":
                        no_shows[uid].append(day)
                    key = (point, day)
                    k = codes.get(key)
                    if k is None:
                        k = [0, rng.randrange(1_000_000)]
                        codes[key] = k
                    code = f"{(k[0] * 738_271 + k[1]) % 1_000_000:06d}"
                    k[0] += 1
                    orders.append({"user": uid, "offer": offer, "point": point, "quantity": quantity, "status": status, "placed": placed,
                                   "payment": payment, "code": code, "street": street.id, "window": window_of[point]})
        # Placed in this order: the budgets are spent and the balances run in it.
        orders.sort(key=lambda o: o["placed"])
        return orders

    def _budgets(self, policies, orders):
        """Each policy's monthly budget: about what its people eat in a month, a little short in some streets (it runs out)."""
        rng = self.rng
        meals = defaultdict(int)
        for order in orders:
            if order["status"] == "cancelled":
                continue
            for policy in self.street_policies[order["street"]]:
                if order["user"] in policy["eligible"]:
                    meals[(policy["id"], order["offer"]["day"].replace(day=1))] += 1
                    break
        for policy in policies:
            busiest = max((n for (p, _m), n in meals.items() if p == policy["id"]), default=0)
            budget = policy["subsidy"] * busiest * rng.uniform(0.85, 1.6)
            policy["budget"] = max(100_000, int(math.ceil(budget / 100_000)) * 100_000)  # whole thousands of yuan

    def _prices(self, policies, orders):
        """Each order's frozen price, in the order they were placed; the month's spend follows the live ones."""
        spent = defaultdict(int)
        self.spends = defaultdict(lambda: [0, 0])  # (policy, month) → [spent, meals]
        for order in orders:
            offer = order["offer"]
            price, quantity, discount_per_meal = offer["meal"]["price"], order["quantity"], offer["merchant"]["discount"]
            discount = min(discount_per_meal, price) * quantity
            subsidy, chosen = 0, None
            month = offer["day"].replace(day=1)
            for policy in self.street_policies[order["street"]]:
                if order["user"] not in policy["eligible"]:
                    continue
                amount = min(policy["subsidy"], price - min(discount_per_meal, price))
                if amount > 0 and spent[(policy["id"], month)] + amount <= policy["budget"]:
                    subsidy, chosen = amount, policy
                    break
            order["list"], order["discount"], order["subsidy"], order["policy"] = price, discount, subsidy, chosen
            order["self_paid"] = price * quantity - discount - subsidy
            if order["status"] != "cancelled":
                offer["sold"] += quantity
                offer["points"][order["point"]] += quantity
                if chosen is not None:
                    spent[(chosen["id"], month)] += subsidy
                    self.spends[(chosen["id"], month)][0] += subsidy
                    self.spends[(chosen["id"], month)][1] += 1

    def _write_lunch(self, merchants, points, policies, offers, orders):
        rng, tables = self.rng, self.tables
        created = self.now - timedelta(days=400)
        tables.write(Organisation, ["id", "created_at", "updated_at", "name", "kind", "street_id", "description", "is_active"],
                     ((m["org"], created, created, m["name"], "merchant", m["street"].id, "白领午餐合作商户。", True) for m in merchants),
                     label="portal.Organisation (merchants)")
        rows = []
        for m in merchants:
            warned = None
            if m["suspended"] or m["expires"] <= self.today + timedelta(days=settings.LUNCH_LICENCE_WARN_DAYS):
                warned = min(m["expires"] - timedelta(days=settings.LUNCH_LICENCE_WARN_DAYS - rng.randint(0, 3)), self.today - timedelta(days=1))
            rows.append((m["id"], created, created, m["org"], m["licence"], m["expires"], m["rating"],
                         self.today - timedelta(days=rng.randint(10, 200)), person_name(rng, rng.choice("fm"))[:1] + rng.choice(("经理", "店长")),
                         f"021-{rng.randint(5000_0000, 6999_9999)}", "suspended" if m["suspended"] else "active",
                         self.words["Food business licence expired."] if m["suspended"] else "", m["pay_at_pickup"], warned))
        tables.write(Merchant, ["id", "created_at", "updated_at", "organisation_id", "licence_number", "licence_expires_on", "food_safety_rating",
                                "last_inspected_on", "contact_name", "contact_phone", "status", "status_reason", "allows_pay_at_pickup",
                                "licence_warning_sent_on"], rows)
        tables.write(Meal, ["id", "merchant_id", "name", "description", "allergens", "list_price_fen", "is_active"],
                     ((meal["id"], m["id"], meal["name"], meal["description"], meal["allergens"], meal["price"], meal["active"])
                      for m in merchants for meal in m["meals"]))
        tables.write(PickupPoint, ["id", "name", "street_id", "station_id", "building_id", "address", "window_opens", "window_closes", "is_active"],
                     ((p["id"], p["name"], p["street"].id, p["station"].id if p["station"] else None, p["building"].id if p["building"] else None,
                       p["address"], as_time(p["window"][0]), as_time(p["window"][1]), True) for p in points))
        tables.write(SubsidyPolicy, ["id", "created_at", "updated_at", "street_id", "name", "audience", "subsidy_fen", "monthly_budget_fen",
                                     "valid_from"],
                     ((p["id"], created, created, p["street"].id, p["name"], p["audience"], p["subsidy"], p["budget"], p["valid_from"])
                      for p in policies))
        through = SubsidyPolicy.neighbourhoods.through
        links = [(p["id"], n.id) for p in policies for n in p["neighbourhoods"]]
        first = tables.ids(through, len(links))
        tables.write(through, ["id", "subsidypolicy_id", "neighbourhood_id"], ((first + i, *row) for i, row in enumerate(links)))

        # Orders first in memory: each offer's last order moves its updated_at.
        first_order = tables.ids(Order, len(orders))
        for i, order in enumerate(orders):
            order["id"] = first_order + i
            offer = order["offer"]
            offer["last"] = order["placed"] if offer["last"] is None or order["placed"] > offer["last"] else offer["last"]

        def offer_rows():
            for o in offers:
                past = o["day"] < self.today
                sold = o["sold"]
                if sold == 0:
                    quota = rng.randint(6, 16) * 5
                elif rng.random() < 0.12:
                    quota = sold  # sold out
                else:
                    quota = max(sold, 30, math.ceil(sold * rng.uniform(1.1, 1.8) / 5) * 5)
                made = min(at(o["day"] - timedelta(days=7), 960), self.now - timedelta(days=4))
                yield (o["id"], made, max(made, o["last"] or made), o["day"], o["merchant"]["id"], o["meal"]["id"], quota, sold, o["cutoff"],
                       o["merchant"]["discount"], True, o["cutoff"] if past else None)

        tables.write(DailyOffer, ["id", "created_at", "updated_at", "date", "merchant_id", "meal_id", "quota", "sold", "cutoff_at",
                                  "discount_fen", "is_open", "manifest_sent_at"], offer_rows())
        quota_of = {p["id"]: p["quota"] for p in points}
        offer_points = [(o, point_id, sold) for o in offers for point_id, sold in o["points"].items()]
        first = tables.ids(OfferPoint, len(offer_points))
        tables.write(OfferPoint, ["id", "offer_id", "point_id", "quota", "sold", "delivered_at"],
                     ((first + i, o["id"], point_id, max(sold, quota_of[point_id]) if quota_of[point_id] else None, sold,
                       at(o["day"], 680) if o["day"] < self.today else None) for i, (o, point_id, sold) in enumerate(offer_points)))

        # Who hands meals over (the merchant's staff, else staff governing the point, as pick_up allows) and who takes
        # money at the desk (station or merchant staff: may_top_up refuses a street admin).
        handlers, desks = {}, {}
        for m in merchants:
            for p in m["points"]:
                station_staff = p["station"].staff if p["station"] else None
                handlers[(m["id"], p["id"])] = m["staff"] or station_staff or p["street"].admin
                desks[(m["id"], p["id"])] = station_staff or m["staff"]

        def order_rows():
            for o in orders:
                offer = o["offer"]
                day = offer["day"]
                placed = o["placed"]
                updated = placed
                picked_at = picked_by = cancelled_at = None
                if o["status"] == "cancelled":
                    room = (min(offer["cutoff"], self.now) - placed).total_seconds()
                    cancelled_at = placed + timedelta(seconds=int(rng.random() * room)) if room > 0 else placed
                    updated = o["cancelled"] = cancelled_at
                elif o["status"] == "picked_up":
                    opens, closes = o["window"]
                    picked_at = at(day, rng.randint(opens, closes - 1), rng.randint(0, 59))
                    picked_by = handlers[(offer["merchant"]["id"], o["point"])]
                    updated = o["picked"] = picked_at
                elif o["status"] == "not_collected":
                    updated = at(day, o["window"][1] + 5)
                yield (o["id"], placed, updated, o["user"], offer["id"], o["point"], o["quantity"], o["list"], o["discount"], o["subsidy"],
                       o["self_paid"], o["policy"]["id"] if o["policy"] else None, day if o["subsidy"] else None, o["payment"], o["status"],
                       o["code"], day, uuid.UUID(int=rng.getrandbits(128), version=4), picked_at, picked_by, cancelled_at)

        tables.write(Order, ["id", "created_at", "updated_at", "user_id", "offer_id", "point_id", "quantity", "list_price_fen", "discount_fen",
                             "subsidy_fen", "self_paid_fen", "policy_id", "subsidised_on", "payment", "status", "pickup_code", "pickup_day",
                             "idempotency_key", "picked_up_at", "picked_up_by_id", "cancelled_at"], order_rows())
        self._ledger(orders, desks)
        rows = [(policy, month, spent, meals) for (policy, month), (spent, meals) in sorted(self.spends.items())]
        budget = {p["id"]: p["budget"] for p in policies}
        first = tables.ids(SubsidySpend, len(rows))
        tables.write(SubsidySpend, ["id", "policy_id", "month", "spent_fen", "budget_fen", "meals"],
                     ((first + i, policy, month, spent, budget[policy], meals) for i, (policy, month, spent, meals) in enumerate(rows)))
        feedback = []
        for o in orders:
            if o["status"] == "picked_up" and rng.random() < 0.25:
                stars = rng.choices((5, 4, 3, 2, 1), weights=(45, 35, 15, 4, 1))[0]
                comment = rng.choice(FEEDBACK) if rng.random() < 0.6 else ""
                when = min(o["picked"] + timedelta(minutes=rng.randint(20, 300)), self.now - timedelta(minutes=1))
                feedback.append((o["id"], stars, comment, when))
        first = tables.ids(Feedback, len(feedback))
        tables.write(Feedback, ["id", "order_id", "stars", "comment", "created_at"], ((first + i, *row) for i, row in enumerate(feedback)))
        self._write_staff([(m["staff"], "merchant_staff", None, None, m["org"]) for m in merchants if m["staff"]], label=" (merchants)")

    def _ledger(self, orders, desks):
        """Every balance as a history: a top-up at the desk before the order that needed it, each order's debit, each refund."""
        rng, tables = self.rng, self.tables
        moves = defaultdict(list)  # user → [(when, kind, amount, order)]
        for o in orders:
            if o["payment"] != "balance" or not o["self_paid"]:
                continue
            moves[o["user"]].append((o["placed"], "order", -o["self_paid"], o))
            if o["status"] == "cancelled":
                moves[o["user"]].append((o["cancelled"], "refund", o["self_paid"], o))
        users = sorted(moves)
        first_account = tables.ids(Account, len(users))
        entries, accounts = [], []
        for n, uid in enumerate(users):
            account = first_account + n
            balance, previous = 0, None
            for when, kind, amount, order in sorted(moves[uid], key=lambda m: (m[0], m[1] == "order")):
                if kind == "order" and balance < -amount:
                    top_up = rng.choice((10_000, 20_000, 30_000, 50_000))
                    while top_up < -amount:
                        top_up += 10_000
                    moment = when - timedelta(minutes=rng.randint(10, 3 * 1440))
                    if previous is not None and moment <= previous:
                        moment = previous + (when - previous) / 2
                    desk = desks[(order["offer"]["merchant"]["id"], order["point"])]
                    entries.append((account, "topup", top_up, None, desk, rng.choice(("现金", "微信转账", "支付宝转账")), moment))
                    balance += top_up
                entries.append((account, kind, amount, order["id"], None, "", when))
                balance += amount
                previous = when
            accounts.append((account, uid, balance, rng.random() < 0.9))
        tables.write(Account, ["id", "user_id", "balance_fen", "low_balance_notices"], accounts)
        first = tables.ids(LedgerEntry, len(entries))
        tables.write(LedgerEntry, ["id", "account_id", "kind", "amount_fen", "order_id", "recorded_by_id", "note", "created_at"],
                     ((first + i, *row) for i, row in enumerate(entries)))


# ---------------------------------------------------------------------------
# The entry point


def refusal(*, allow_demo):
    """Why this database must not get scale data (None when it may)."""
    if allow_demo:
        return None
    if User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists():
        return ("Scale data is already present (accounts @" + EMAIL_DOMAIN + "). seed_scale fills an empty database: "
                "use a fresh one, or pass --allow-demo to add another city's worth next to it.")
    held = []
    stations = Station.objects.count()
    if stations:
        held.append(f"{stations:,} stations")
    if User.objects.filter(email__in=[account["email"] for account in demo_data.DEMO_ACCOUNTS]).exists():
        held.append("the demo accounts of seed_demo")
    if held:
        return (f"The database already holds {' and '.join(held)}. seed_scale fills an empty database: use a fresh one, "
                "or pass --allow-demo to add the scale data next to what is there.")
    return None


def _pages_move_on():
    if page_cache.enabled():
        page_cache.invalidate_all()


def seed(sizes, *, seed=1, allow_demo=False, out=None, today=None):
    """Fill the database; returns the Tables with what was written. Runs in one transaction: a failure leaves nothing."""
    why = refusal(allow_demo=allow_demo)
    if why:
        raise ScaleError(why)
    for name, value in vars(sizes).items():
        if value < 0:
            raise ScaleError(f"--{name.replace('_', '-')} can't be negative.")
    if sizes.users < 1 and (sizes.bookings or sizes.lunch_orders or sizes.wishes):
        raise ScaleError("Bookings, wishes and lunch orders need people: --users must be at least 1.")
    builder = Builder(sizes, seed=seed, today=today, out=out)
    with transaction.atomic(durable=True):
        if builder.tables.postgres:
            with connection.cursor() as cursor:
                # Foreign keys checked after each statement, not all at commit: no million-row queue of pending checks.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # COPY goes past the page cache's watch on INSERT statements (portal.page_cache): every public page moves on.
            transaction.on_commit(_pages_move_on)
        tables = builder.run()
    if tables.postgres:
        started = clock.perf_counter()
        with connection.cursor() as cursor:
            names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables.models)
            cursor.execute(f"ANALYZE {names}")
        tables.note("ANALYZE", clock.perf_counter() - started)
    return builder
