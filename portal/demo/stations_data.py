"""What the demo stations offer and when they open, keyed by the slugs of `portal.demo.data.STATIONS`.

Transcribed from the same five articles as `portal.demo.data`. Taken from the text: the
themes (湖南街道's stations each have one: 传统文化 at 淮海·1298, 美好生活 at 淮海·瑞力, 阅读 at
淮海·大隐, 微公益 at 梧桐·MicroCharity; elsewhere the tags are our short labels for what the
article says the station does: 白领午餐, 楼长制, 区域化党建, 健康服务 …); the function areas the articles list
(梧桐·Learning's 爱心妈咪小屋, 职工音乐书屋 and 书记工作室; the 健身区, 阅读区, 手工制作区,
多功能会议室, 咨询洽谈区 and 妈咪小屋 that 周家桥's building station and white-collar centre
open "根据场地功能或需求人数采取来访制或预约制"; 恒苑's 党群服务健康微站); the teams the
articles name (梧桐话剧社, 梧桐书法社, 梧桐阿卡贝拉音乐社; 云莲一书画社; 小潘工作室 …); the
service menus and who provides them (潮汐式停车 and the canteen opened to elderly residents by
上海浦东东站长途客运有限公司; 长工快乐课堂 by 长宁区工人文化宫; free blood-pressure and
blood-glucose checks by 金汇镇社区卫生服务中心; the white-collar lunch at 长寿路街道 …).

What is illustrative (the articles don't say; filled in so the portal has something to show):

- **all opening hours** (`HOURS`): none of the articles gives any. They follow the pattern of
  such stations: neighbourhood and town stations open on weekdays, some with a lunch break and
  some on Saturday morning; building stations for office workers open through the lunch hour,
  those with after-work courses into the evening, 周家桥街道白领中心 until midnight; 淮海·大隐
  (in a bookshop) and the volunteers' post in the 浦东东站 coach station every day;
- **the holidays** (`HOLIDAYS`, `SPECIAL_HOURS`): 元旦 on 2027-01-01 and 春节 from 2027-02-06
  (正月初一) to 2027-02-12, closed at every station, and 除夕 (2027-02-05) special hours at the
  coach station's post for the 春运 peak the article describes. The State Council publishes
  the 2027 holiday calendar late in the year before: check the days against it;
- every **capacity**, every team's **schedule** and **how to join**, every service's **how to
  get it**: plausible, not reported;
- function areas, teams and services marked ``"illustrative": True``: the article implies such
  a thing (a station hosting 书记沙龙 needs a room; the lunch points of 长寿路街道's "nine other
  building stations") or names the activity but not the team, and the name or details are ours.
"""

WEEKDAYS = (0, 1, 2, 3, 4)
SATURDAY = (5,)
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)

# A station's usual week: (weekdays, [(opens, closes), …]); two periods make a lunch break,
# a period closing at "00:00" runs to midnight. All illustrative (see above).
HOURS = {
    "wutong-learning": [(WEEKDAYS, [("09:00", "17:30")])],
    # Weekly courses of the three clubs, some after work; Saturday afternoon for rehearsals.
    "wutong-space": [(WEEKDAYS, [("09:00", "21:00")]), (SATURDAY, [("13:30", "17:30")])],
    # In the 环贸广场 office tower, open as long as the mall below.
    "wutong-iapm": [(WEEKDAYS, [("10:00", "22:00")])],
    # The lunch-break variant.
    "huaihai-1298": [(WEEKDAYS, [("09:00", "11:30"), ("13:00", "17:30")])],
    "huaihai-ruili": [(WEEKDAYS, [("09:00", "18:00")])],
    # Inside 大隐书局, which opens every day.
    "huaihai-dayin": [(EVERY_DAY, [("10:00", "20:00")])],
    "wutong-microcharity": [(WEEKDAYS, [("08:30", "17:00")]), (SATURDAY, [("09:00", "12:00")])],
    # 班后一小时: after-work courses.
    "zhoujiaqiao-building-station": [(WEEKDAYS, [("09:00", "19:00")])],
    # Open late: until midnight on weekdays.
    "zhoujiaqiao-white-collar-centre": [(WEEKDAYS, [("09:00", "00:00")]), (SATURDAY, [("10:00", "17:00")])],
    "zhoujiaqiao-centre": [(WEEKDAYS, [("09:00", "17:00")])],
    # 长寿路街道's building stations: open through the lunch hour, for the lunch points.
    "changshou-xinhui": [(WEEKDAYS, [("08:30", "17:30")])],
    "changshou-pinggao": [(WEEKDAYS, [("09:00", "17:30")])],
    "changshou-imago": [(WEEKDAYS, [("09:00", "17:30")])],
    "changshou-tanjia28": [(WEEKDAYS, [("09:00", "17:30")])],
    "waitan-centre": [(WEEKDAYS, [("09:00", "17:00")])],
    "zhoujiadu-yunlian-1": [(WEEKDAYS, [("08:30", "11:30"), ("13:00", "17:00")]), (SATURDAY, [("09:00", "11:30")])],
    # The volunteers' post in the coach station: every day.
    "zhoujiadu-dongzhan": [(EVERY_DAY, [("08:00", "18:00")])],
    "jinhui-centre": [(WEEKDAYS, [("08:30", "17:00")]), (SATURDAY, [("09:00", "16:00")])],
    "jinhui-jinhui": [(WEEKDAYS, [("09:00", "17:00")])],
    "jinhui-hengyuan": [(WEEKDAYS, [("09:00", "17:00")])],
    "jinhui-wangyuan": [(WEEKDAYS, [("08:30", "17:00")]), (SATURDAY, [("09:00", "12:00")])],
    "jinhui-meiyuan": [(WEEKDAYS, [("08:30", "11:30"), ("13:00", "16:30")])],
    "jiuting-xiangyu-pincheng": [(WEEKDAYS, [("09:00", "17:00")]), (SATURDAY, [("09:00", "11:30")])],
}

# Closed all day at every station. Illustrative (see above).
HOLIDAYS = [
    {"dates": ("2027-01-01",), "reason": "元旦"},
    {"dates": tuple(f"2027-02-{day:02d}" for day in range(6, 13)), "reason": "春节"},
]

# Dates with other hours than usual at one station.
SPECIAL_HOURS = [
    {
        "station": "zhoujiadu-dongzhan",
        "date": "2027-02-05",
        "periods": [("07:00", "21:00")],
        # The article: at holidays and in the 春运 the coach station gets big crowds, and
        # 云莲一's volunteers match their hours to the station's timetable.
        "reason": "除夕春运高峰，志愿服务延长",
    },
]

THEMES = {
    "wutong-learning": ["学习", "社区治理"],
    "wutong-space": ["文艺社团", "白领服务"],
    "wutong-iapm": ["白领服务", "主题活动"],
    "huaihai-1298": ["传统文化"],
    "huaihai-ruili": ["美好生活"],
    "huaihai-dayin": ["阅读"],
    "wutong-microcharity": ["微公益", "为老服务"],
    "zhoujiaqiao-building-station": ["白领服务", "职工文化"],
    "zhoujiaqiao-white-collar-centre": ["白领服务", "荟聚"],
    "zhoujiaqiao-centre": ["职工文化", "微心愿"],
    "changshou-xinhui": ["白领午餐", "楼长制"],
    "changshou-pinggao": ["白领午餐", "楼长制"],
    "changshou-imago": ["白领午餐", "楼长制"],
    "changshou-tanjia28": ["白领午餐", "楼长制"],
    "waitan-centre": ["书记工作室", "社区治理"],
    "zhoujiadu-yunlian-1": ["区域化党建", "为老服务", "停车"],
    "zhoujiadu-dongzhan": ["区域化党建", "志愿服务"],
    "jinhui-centre": ["党员教育", "区域化党建"],
    "jinhui-jinhui": ["学习", "四史学习教育"],
    "jinhui-hengyuan": ["健康服务"],
    "jinhui-wangyuan": ["一站式办事"],
    "jinhui-meiyuan": ["党建微家"],
    "jiuting-xiangyu-pincheng": ["志愿服务", "微心愿", "社区治理"],
}

# The function areas the two 周家桥 stations open to the companies, party members and office
# workers of their buildings, "根据场地功能或需求人数采取来访制或预约制".
_ZHOUJIAQIAO_AREAS = [
    {"kind": "fitness", "name": "健身区", "access": "walk_in", "capacity": 10, "description": "非活动时段向楼宇内企业、党员和白领开放。"},
    {"kind": "reading", "name": "阅读区", "access": "walk_in", "capacity": 20, "description": "非活动时段向楼宇内企业、党员和白领开放。"},
    {"kind": "handcraft", "name": "手工制作区", "access": "walk_in", "capacity": 12, "description": "非活动时段向楼宇内企业、党员和白领开放。"},
    {
        "kind": "meeting",
        "name": "多功能会议室",
        "access": "reservation",
        "capacity": 40,
        "description": "企业可根据自己的时间安排预约，召开内部会议、举行员工沙龙。",
    },
    {
        "kind": "consultation",
        "name": "咨询洽谈区",
        "access": "reservation",
        "capacity": 6,
        "description": "供楼宇内企业洽谈、咨询，按需求人数预约。",
    },
    {"kind": "nursing", "name": "妈咪小屋", "access": "walk_in", "capacity": 2, "description": "为哺乳期的女职工提供私密、整洁的空间。"},
]

FUNCTION_AREAS = {
    "wutong-learning": [
        {
            "kind": "nursing",
            "name": "爱心妈咪小屋",
            "access": "walk_in",
            "capacity": 2,
            "description": "为楼宇和社区的哺乳期妈妈提供休息、哺乳的空间。",
        },
        {"kind": "music_books", "name": "职工音乐书屋", "access": "walk_in", "capacity": 20, "description": "职工阅读、听音乐、交流的书屋。"},
        {
            "kind": "consultation",
            "name": "书记工作室",
            "access": "reservation",
            "capacity": 10,
            "description": "党组织牵头，楼宇白领、社区居民、基层干部在这里共商社区治理和城市发展。",
        },
    ],
    "wutong-space": [
        {
            "kind": "meeting",
            "name": "多功能活动室",
            "access": "reservation",
            "capacity": 30,
            "description": "梧桐话剧社、梧桐阿卡贝拉音乐社的课程和排练；课余时段可预约。",
            "illustrative": True,
        },
        {
            "kind": "other",
            "name": "书法教室",
            "access": "reservation",
            "capacity": 16,
            "description": "梧桐书法社每周课程在此进行。",
            "illustrative": True,
        },
    ],
    "wutong-iapm": [
        # "可以申请使用内部各功能区域": the rooms are applied for.
        {
            "kind": "meeting",
            "name": "多功能会议室",
            "access": "reservation",
            "capacity": 40,
            "description": "楼宇党组织、群团组织和白领员工可申请使用。",
        },
        {
            "kind": "consultation",
            "name": "洽谈室",
            "access": "reservation",
            "capacity": 8,
            "description": "楼宇党组织、群团组织和白领员工可申请使用。",
        },
        {
            "kind": "reading",
            "name": "阅读角",
            "access": "walk_in",
            "capacity": 12,
            "description": "白领员工随时可来坐坐、看书。",
            "illustrative": True,
        },
    ],
    "huaihai-1298": [
        {
            "kind": "handcraft",
            "name": "传统手工艺工作台",
            "access": "walk_in",
            "capacity": 12,
            "description": "传统手工艺、水墨画等活动在此开展。",
            "illustrative": True,
        },
        {
            "kind": "meeting",
            "name": "多功能活动室",
            "access": "reservation",
            "capacity": 30,
            "description": "古诗词、传统节日主题活动。",
            "illustrative": True,
        },
    ],
    "huaihai-ruili": [
        {
            "kind": "meeting",
            "name": "多功能活动室",
            "access": "reservation",
            "capacity": 35,
            "description": "电影赏析讲座、摄影讲座、咖啡沙龙在此举行。",
            "illustrative": True,
        },
    ],
    "huaihai-dayin": [
        {"kind": "reading", "name": "阅读区", "access": "walk_in", "capacity": 40, "description": "设在大隐书局内，梧桐阅读联盟的阅读空间。"},
        {
            "kind": "meeting",
            "name": "读书会活动区",
            "access": "reservation",
            "capacity": 20,
            "description": "小型读书会、优秀书籍分享；“两新”党支部可预约开展活动。",
            "illustrative": True,
        },
    ],
    "wutong-microcharity": [
        {
            "kind": "meeting",
            "name": "共享议事空间",
            "access": "reservation",
            "capacity": 25,
            "description": "居民区、“两新”组织、区域单位共同组建的议事机构在此议事，共享空间、联合管理。",
        },
    ],
    "zhoujiaqiao-building-station": _ZHOUJIAQIAO_AREAS,
    "zhoujiaqiao-white-collar-centre": _ZHOUJIAQIAO_AREAS,
    "zhoujiaqiao-centre": [
        {
            "kind": "meeting",
            "name": "示范教学点教室",
            "access": "reservation",
            "capacity": 50,
            "description": "“长工快乐课堂”和“职工文化配送”品牌项目的示范教学点。",
            "illustrative": True,
        },
    ],
    "changshou-xinhui": [
        {
            "kind": "other",
            "name": "白领午餐点",
            "access": "walk_in",
            "capacity": 30,
            "description": "“长寿白领午餐”先行先试的午餐点，优质商户线下配送到站。",
        },
        {
            "kind": "meeting",
            "name": "多功能会议室",
            "access": "reservation",
            "capacity": 30,
            "description": "楼宇企业可预约使用。",
            "illustrative": True,
        },
    ],
    **{
        slug: [
            {
                "kind": "other",
                "name": "白领午餐点",
                "access": "walk_in",
                "capacity": 20,
                "description": "根据白领的需要增设的白领午餐点，方便附近白领就餐。",
                "illustrative": True,
            },
            {
                "kind": "meeting",
                "name": "多功能会议室",
                "access": "reservation",
                "capacity": 20,
                "description": "楼宇企业可预约使用。",
                "illustrative": True,
            },
        ]
        for slug in ("changshou-pinggao", "changshou-imago", "changshou-tanjia28")
    },
    "waitan-centre": [
        {
            "kind": "meeting",
            "name": "书记工作室",
            "access": "reservation",
            "capacity": 25,
            "description": "书记沙龙的研讨、头脑风暴在此进行。",
            "illustrative": True,
        },
    ],
    "zhoujiadu-yunlian-1": [
        {
            "kind": "consultation",
            "name": "接待咨询区",
            "access": "walk_in",
            "capacity": 6,
            "description": "居民来访、登记需求。",
            "illustrative": True,
        },
        {
            "kind": "handcraft",
            "name": "书画活动室",
            "access": "walk_in",
            "capacity": 15,
            "description": "云莲一书画社活动场地。",
            "illustrative": True,
        },
    ],
    "zhoujiadu-dongzhan": [
        {
            "kind": "consultation",
            "name": "旅客服务台",
            "access": "walk_in",
            "capacity": 4,
            "description": "社区党员志愿者在此为旅客提供问询服务。",
            "illustrative": True,
        },
    ],
    "jinhui-centre": [
        {"kind": "consultation", "name": "党建服务窗口", "access": "walk_in", "capacity": 6, "description": "“四位一体”之一：党建服务窗口。"},
        {"kind": "other", "name": "党建形象展示厅", "access": "walk_in", "capacity": 60, "description": "“四位一体”之一：党建形象展示。"},
        {"kind": "meeting", "name": "党员培训教室", "access": "reservation", "capacity": 80, "description": "“四位一体”之一：党员培训教育。"},
    ],
    "jinhui-jinhui": [
        {
            "kind": "reading",
            "name": "百姓倾听港",
            "access": "walk_in",
            "capacity": 15,
            "description": "结合“四史”学习教育建立，通过“有声图书馆”栏目便于党员群众获取信息、学习知识。",
        },
    ],
    "jinhui-hengyuan": [
        {
            "kind": "health",
            "name": "党群服务健康微站",
            "access": "walk_in",
            "capacity": 6,
            "description": "对接社区卫生服务中心医疗资源，为社区居民、户外职工提供健康服务。",
        },
    ],
    "jinhui-wangyuan": [
        {
            "kind": "consultation",
            "name": "党群服务亭",
            "access": "walk_in",
            "capacity": 3,
            "description": "全镇第一个兼具党群服务、综合事务于一体的一站式体验办事平台。",
        },
    ],
    "jinhui-meiyuan": [
        {
            "kind": "meeting",
            "name": "党建微家",
            "access": "reservation",
            "capacity": 20,
            "description": "与“党小组长工作室”相结合；非公企业可入驻村居“党建微家”。",
        },
    ],
    "jiuting-xiangyu-pincheng": [
        {
            "kind": "meeting",
            "name": "多功能会议室",
            "access": "reservation",
            "capacity": 30,
            "description": "召开“五位一体”会议、志愿者沙龙和各工作团队会议，集各方智慧解决社区难题。",
            "illustrative": True,
        },
        {
            "kind": "other",
            "name": "志愿服务风采墙",
            "access": "walk_in",
            "capacity": None,
            "description": "展示“每月先锋榜”和志愿服务风采。",
        },
    ],
}

TEAMS = {
    "wutong-space": [
        {
            "name": "梧桐话剧社",
            "description": "梧桐·SPACE组建的话剧团队，每周定期开设课程，组织社员开展活动。",
            "schedule": "每周三 19:00–21:00",
            "how_to_join": "到梧桐·SPACE报名，或致电站点。",
        },
        {
            "name": "梧桐书法社",
            "description": "梧桐·SPACE组建的书法团队，每周定期开设课程，组织社员开展活动。",
            "schedule": "每周二 12:00–13:00（午间一小时）",
            "how_to_join": "到梧桐·SPACE报名，或致电站点。",
        },
        {
            "name": "梧桐阿卡贝拉音乐社",
            "description": "梧桐·SPACE组建的无伴奏合唱团队，每周定期开设课程，组织社员开展活动。",
            "schedule": "每周四 19:00–21:00",
            "how_to_join": "到梧桐·SPACE报名，或致电站点。",
        },
    ],
    "huaihai-dayin": [
        {
            "name": "梧桐阅读联盟",
            "description": "以阅读为纽带的联盟：优秀书籍分享、小型读书会，为各“两新”党支部提供活动资源。",
            "schedule": "每月第一个周六 14:00–16:00",
            "how_to_join": "“两新”党支部到站登记加入。",
        },
    ],
    "wutong-microcharity": [
        {
            "name": "微公益议事会",
            "description": "居民区、“两新”组织、区域单位共同组建的议事机构，共享空间、联合管理，把微公益辐射到区域内所有党组织。",
            "schedule": "每月一次",
            "how_to_join": "区域内党组织可向湖南街道为老服务中心申请加入。",
            "illustrative": True,
        },
    ],
    "waitan-centre": [
        {
            "name": "张理群书记工作室",
            "description": "居民区党总支书记的工作室，分享“坚守初心使命，做好社区团队建设”的心得。",
            "schedule": "每季度一期书记沙龙",
            "how_to_join": "面向外滩街道各居民区党总支书记，由街道党工委组织。",
        },
        {
            "name": "牟建林书记工作室",
            "description": "居民区党总支书记的工作室，分享“利用社区资源，解决社区矛盾”的经验。",
            "schedule": "每季度一期书记沙龙",
            "how_to_join": "面向外滩街道各居民区党总支书记，由街道党工委组织。",
        },
    ],
    "zhoujiadu-yunlian-1": [
        {
            "name": "云莲一书画社",
            "description": "居民书画团队；春运期间以春联和福字装扮浦东东站长站厅。",
            "schedule": "每周五 14:00–16:00",
            "how_to_join": "云莲一居民到居委会报名。",
        },
    ],
    "zhoujiadu-dongzhan": [
        {
            "name": "云莲一社区党员志愿者",
            "description": "协助浦东东站长做好日常旅客问询、搬运、秩序维护和简单医疗救援服务；志愿服务时间与东站长运营时间同步。",
            "schedule": "节假日和春运客运高峰，按发车班次排班",
            "how_to_join": "向云莲一居民区党总支报名。",
            "illustrative": True,
        },
    ],
    "jinhui-meiyuan": [
        {
            "name": "党小组长工作室",
            "description": "梅园村党总支将“党建微家”与“党小组长工作室”相结合，延伸了站点功能。",
            "schedule": "每月一次",
            "how_to_join": "梅园村党小组长参加。",
        },
    ],
    "jiuting-xiangyu-pincheng": [
        {
            "name": "小潘工作室",
            "description": "2017年挂牌成立，由支部委员潘伟峰和7名小区退休党员组成，为社区建设征集“金点子”，“有事找小潘”。",
            "schedule": "工作日接待",
            "how_to_join": "“有事找小潘”：到党群服务站找工作室。",
        },
        {
            "name": "志愿者沙龙",
            "description": "志同道合的志愿者交流、议事的沙龙。",
            "schedule": "每月一次",
            "how_to_join": "到党群服务站登记成为志愿者。",
        },
        {
            "name": "开心小屋",
            "description": "“爱相伴”党建项目培育的社区团队。",
            "schedule": "每周一次",
            "how_to_join": "到党群服务站报名。",
        },
        {
            "name": "“品城有爱”便民服务队",
            "description": "“爱相伴”党建项目培育的便民服务团队。",
            "schedule": "每月一次集中服务",
            "how_to_join": "到党群服务站登记成为志愿者。",
        },
    ],
}

# provider: (street, organisation name) of a partner unit named in `portal.demo.data`, or None.
SERVICES = {
    "wutong-learning": [
        {
            "name": "书记工作室接待",
            "description": "党组织书记与楼宇白领、社区居民、基层干部共商社区治理。",
            "provider": None,
            "how_to_get": "致电站点预约。",
            "illustrative": True,
        },
    ],
    "wutong-space": [
        {
            "name": "社团每周课程",
            "description": "梧桐话剧社、梧桐书法社、梧桐阿卡贝拉音乐社每周定期开设课程。",
            "provider": None,
            "how_to_get": "加入社团后按课表参加。",
        },
    ],
    "wutong-iapm": [
        {
            "name": "主题活动",
            "description": "楼宇党组织、群团组织和白领员工可以参加空间内开设的丰富多彩的主题活动。",
            "provider": None,
            "how_to_get": "关注站点活动预告报名。",
        },
        {
            "name": "功能区域使用申请",
            "description": "楼宇党组织、群团组织和白领员工可以申请使用内部各功能区域。",
            "provider": None,
            "how_to_get": "在线预约或到站申请。",
        },
    ],
    "huaihai-1298": [
        {
            "name": "中国古诗词活动",
            "description": "以弘扬中国优秀传统文化为特色的古诗词品读活动。",
            "provider": None,
            "how_to_get": "关注站点活动预告报名。",
        },
        {"name": "水墨画课程", "description": "以弘扬中国优秀传统文化为特色的水墨画活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "传统节日活动", "description": "围绕中国传统节日开展的主题活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "传统手工艺体验", "description": "传统手工艺活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
    ],
    "huaihai-ruili": [
        {"name": "电影赏析讲座", "description": "美好生活类服务。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "摄影讲座", "description": "美好生活类服务。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "咖啡沙龙", "description": "美好生活类服务。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "工会会员服务", "description": "为楼宇职工提供工会会员服务。", "provider": None, "how_to_get": "开放时间内到站办理。"},
    ],
    "huaihai-dayin": [
        {"name": "优秀书籍分享", "description": "梧桐阅读联盟的特色活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "小型读书会", "description": "梧桐阅读联盟的特色活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {
            "name": "“两新”党支部活动资源",
            "description": "为各“两新”党支部提供活动资源。",
            "provider": None,
            "how_to_get": "党支部致电站点预约。",
        },
    ],
    "wutong-microcharity": [
        {
            "name": "微公益项目",
            "description": "线上线下叠加模式，将微公益辐射到区域内所有党组织。",
            "provider": None,
            "how_to_get": "党组织和居民可在线或到站认领。",
        },
    ],
    "zhoujiaqiao-building-station": [
        {
            "name": "“午+1白领精致生活主题沙龙”",
            "description": "午间一小时的白领主题沙龙。",
            "provider": None,
            "how_to_get": "关注站点活动预告报名。",
        },
        {"name": "“周桥二十四味”文化活动", "description": "午间一小时的文化活动。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {
            "name": "长宁工会快乐课堂",
            "description": "午间一小时的瑜伽、茶艺等休闲活动。",
            "provider": ("周家桥街道", "长宁区总工会"),
            "how_to_get": "关注站点活动预告报名。",
        },
        {
            "name": "班后一小时培训、考证课程",
            "description": "有助于职业技能、综合能力提升，并且享受政府专项补贴的培训、考证类课程。",
            "provider": ("周家桥街道", "上海助友职业技术培训中心"),
            "how_to_get": "到站报名，按课程要求参加。",
        },
        {
            "name": "企业文化活动配送",
            "description": "工作时段根据企业的时间安排配送员工健康保健、心理舒缓、休闲娱乐类活动。",
            "provider": None,
            "how_to_get": "企业致电站点预约。",
        },
    ],
    "zhoujiaqiao-white-collar-centre": [
        {"name": "荟休闲", "description": "“荟聚”主题服务系列之一。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "荟交友", "description": "“荟聚”主题服务系列之一。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "荟学习", "description": "“荟聚”主题服务系列之一。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
        {"name": "荟公益", "description": "“荟聚”主题服务系列之一。", "provider": None, "how_to_get": "关注站点活动预告报名。"},
    ],
    "zhoujiaqiao-centre": [
        {
            "name": "长工快乐课堂",
            "description": "区工人文化宫的品牌项目，周家桥社区党建服务中心是示范教学点，让白领职工就近享受公益性职工文体产品和服务。",
            "provider": ("周家桥街道", "长宁区工人文化宫"),
            "how_to_get": "关注站点课程表报名。",
        },
        {
            "name": "职工文化配送",
            "description": "区工人文化宫的品牌项目，把职工文化活动配送到楼宇和企业。",
            "provider": ("周家桥街道", "长宁区工人文化宫"),
            "how_to_get": "企业或楼宇党组织致电站点申请。",
        },
        {
            "name": "微心愿征集与认领",
            "description": "为辖区内困难独居老人、困难党员群众等征集“微心愿”，在爱心树上由党组织和党员签字认领。",
            "provider": None,
            "how_to_get": "居民向居委会说出心愿；党组织和党员到站认领。",
        },
    ],
    "changshou-xinhui": [
        {
            "name": "白领午餐点",
            "description": (
                "“长寿白领午餐”在这里先行先试：“政府补贴一点、商户让利一点、白领自费一点”，"
                "红子鸡美食总汇、顺风大酒店、澳门陈光记等优质商户线下配送到站。"
            ),
            "provider": None,
            "how_to_get": "工作日午间到站取餐。",
        },
        {
            "name": "“乐ING食刻”线上点餐",
            "description": "线上点餐、配送上门，为长寿白领推送25—28元价位量身定制的午市套餐。",
            "provider": ("长寿路街道", "盒马鲜生"),
            "how_to_get": "线上点餐，配送上门或到站取餐。",
        },
        {
            "name": "有问题找楼长",
            "description": "“1+4+X”楼长队伍帮助企业解决各类问题，“楼长点点通”小程序线上答疑解惑、线下对症下药。",
            "provider": None,
            "how_to_get": "通过“楼长点点通”小程序或到站找楼长。",
        },
    ],
    **{
        slug: [
            {
                "name": "白领午餐点",
                "description": "根据白领的需要增设的白领午餐点：“政府补贴一点、商户让利一点、白领自费一点”，遴选优质商户线下配送到站。",
                "provider": None,
                "how_to_get": "工作日午间到站取餐。",
                "illustrative": True,
            },
            {
                "name": "有问题找楼长",
                "description": "“1+4+X”楼长队伍帮助企业解决各类问题，“楼长点点通”小程序线上答疑解惑、线下对症下药。",
                "provider": None,
                "how_to_get": "通过“楼长点点通”小程序或到站找楼长。",
            },
        ]
        for slug in ("changshou-pinggao", "changshou-imago", "changshou-tanjia28")
    },
    "waitan-centre": [
        {
            "name": "书记沙龙",
            "description": "居民区党总支书记参观学习、经验分享、头脑风暴，聚焦党建引领“零距离家园”建设。",
            "provider": None,
            "how_to_get": "由街道党工委组织，各居民区党总支书记参加。",
        },
        {
            "name": "社区义诊",
            "description": "测量血压、血糖、口腔检查、视力筛查、中医耳穴等义诊服务，邀请多家医疗机构的医护人员。",
            "provider": ("外滩街道", "宝兴老年人日间照料中心"),
            "how_to_get": "在宝兴老年人日间照料中心举行，留意宝兴居委通知。",
        },
    ],
    "zhoujiadu-yunlian-1": [
        {
            "name": "潮汐式停车",
            "description": "浦东东站长利用具备对外经营资质的地下停车库，专设社区车辆停车区，为云莲一居民区量身打造潮汐式停车方案。",
            "provider": ("周家渡街道", "上海浦东东站长途客运有限公司"),
            "how_to_get": "云莲一居民到居委会登记车辆，按约定时段停放。",
        },
        {
            "name": "老年助餐（东站长职工食堂）",
            "description": "东站长开放职工食堂，为照顾家中病人无暇买菜烧饭、独居不会烧饭等吃饭难的老年居民提供就餐服务。",
            "provider": ("周家渡街道", "上海浦东东站长途客运有限公司"),
            "how_to_get": "有需要的老年居民到居委会登记后就餐。",
        },
        {
            "name": "帮困助残、就业实习、优惠旅游",
            "description": "东站长利用“浦东志愿服务”为周边居民提供帮困助残、就业实习、优惠旅游等服务。",
            "provider": ("周家渡街道", "上海浦东东站长途客运有限公司"),
            "how_to_get": "到服务站咨询登记。",
        },
    ],
    "zhoujiadu-dongzhan": [
        {
            "name": "旅客问询",
            "description": "社区党员志愿者协助东站长做好日常旅客问询服务。",
            "provider": ("周家渡街道", "云莲一居民区党总支"),
            "how_to_get": "到站内服务台咨询。",
        },
        {
            "name": "行李搬运",
            "description": "社区党员志愿者协助旅客搬运行李。",
            "provider": ("周家渡街道", "云莲一居民区党总支"),
            "how_to_get": "到站内服务台求助。",
        },
        {
            "name": "秩序维护",
            "description": "客运高峰时社区党员和志愿者协助维护站内秩序。",
            "provider": ("周家渡街道", "云莲一居民区党总支"),
            "how_to_get": "节假日和春运客运高峰期间在站厅提供。",
        },
        {
            "name": "简单医疗救援",
            "description": "社区党员志愿者为旅客提供简单医疗救援服务。",
            "provider": ("周家渡街道", "云莲一居民区党总支"),
            "how_to_get": "到站内服务台求助。",
        },
    ],
    "jinhui-centre": [
        {
            "name": "党建服务窗口",
            "description": "镇级枢纽平台的党建服务窗口，为党员群众办理党建事务。",
            "provider": None,
            "how_to_get": "开放时间内到窗口办理。",
        },
        {
            "name": "党员培训教育",
            "description": "镇级枢纽平台的党员培训教育。",
            "provider": None,
            "how_to_get": "党组织预约培训教室。",
        },
        {
            "name": "党群服务资源清单",
            "description": "梳理出各类党群服务资源清单，提供菜单式服务，形成“一站多用、多点合一、共建共享”新格局。",
            "provider": None,
            "how_to_get": "查阅资源清单，按菜单选择服务。",
        },
    ],
    "jinhui-jinhui": [
        {
            "name": "有声图书馆",
            "description": "“百姓倾听港”的栏目，便于党员群众获取信息、学习知识。",
            "provider": None,
            "how_to_get": "到站收听，或扫码在线收听。",
        },
    ],
    "jinhui-hengyuan": [
        {
            "name": "免费量血压",
            "description": "“党群服务健康微站”定期为社区居民、户外职工免费量血压。",
            "provider": ("金汇镇", "金汇镇社区卫生服务中心"),
            "how_to_get": "每周三上午到健康微站。",
        },
        {
            "name": "免费测血糖",
            "description": "“党群服务健康微站”定期为社区居民、户外职工免费测血糖。",
            "provider": ("金汇镇", "金汇镇社区卫生服务中心"),
            "how_to_get": "每周三上午到健康微站，空腹前往。",
        },
        {
            "name": "健康讲座",
            "description": "社区卫生服务中心医生定期开设的健康讲座。",
            "provider": ("金汇镇", "金汇镇社区卫生服务中心"),
            "how_to_get": "关注站点通知报名。",
        },
    ],
    "jinhui-wangyuan": [
        {
            "name": "一站式办事",
            "description": "兼具党群服务、综合事务于一体的一站式体验办事平台。",
            "provider": None,
            "how_to_get": "开放时间内到党群服务亭办理。",
        },
    ],
    "jinhui-meiyuan": [
        {
            "name": "非公企业入驻“党建微家”",
            "description": "鼓励非公企业入驻村居“党建微家”，企业携手村居在资金、项目、志愿团队上做好加法。",
            "provider": None,
            "how_to_get": "企业党组织向梅园村党总支申请。",
        },
    ],
    "jiuting-xiangyu-pincheng": [
        {
            "name": "“微心愿”认领",
            "description": "居民说出微心愿，党员志愿者认领、实现。",
            "provider": None,
            "how_to_get": "到党群服务站登记心愿，或认领心愿墙上的心愿。",
        },
        {
            "name": "邻里调解",
            "description": "党员在楼道当起“老娘舅”调解邻里纠纷。",
            "provider": None,
            "how_to_get": "“有事找小潘”：到党群服务站求助。",
        },
        {
            "name": "关爱帮扶",
            "description": "53名党员志愿者、9支服务团队提供关爱帮扶、爱国卫生、垃圾分类、治安巡逻等服务。",
            "provider": None,
            "how_to_get": "到党群服务站登记需求。",
        },
    ],
}
