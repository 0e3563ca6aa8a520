"""Demo data, transcribed from five Chinese news reports (2018–2020) about Shanghai's
party-mass service stations: 徐汇区湖南街道's seven stations, 长宁区周家桥街道's building
station and white-collar centre, 普陀区长寿路街道's white-collar lunch, 黄浦区外滩街道's
secretaries' studio, 浦东新区周家渡街道's regional party building, 奉贤区金汇镇 and
松江区九亭镇象屿品城.

What comes from the articles: the names of districts, streets and towns, neighbourhoods and
villages, buildings, organisations and stations; the station addresses where an article gives
one (all seven 湖南街道 stations but 梧桐·Learning); the descriptions, condensed from the text.

What is illustrative (the articles don't say; filled in so the portal has something to show):

- every station's **phone number**, and every **latitude/longitude** (approximate WGS-84
  positions placed inside the right street, not surveyed);
- **addresses** of stations the articles don't locate: they name only the road, landmark or
  area the article mentions, never an invented house number;
- entries whose ``illustrative`` tuple says so: ``"address"`` (as above), ``"place"`` (which
  building or neighbourhood the station sits in), ``"station"`` (the article mentions such
  stations without naming them, e.g. 长寿路街道's "nine other building stations" that get
  lunch points), ``"name"`` (a neighbourhood of 湖南街道, which the article doesn't name);
- the enterprises named 演示…（上海）有限公司 and every demo account, which are fictional.

References between entries use names: a street by its name; a building, neighbourhood or
organisation by its name within the entry's own street, or by (street, name) from an account;
a station by its slug.
"""

DEMO_PASSWORD = "Demo-2026-station"

# `ordering` is the district's administrative code (310101 黄浦区 … 310120 奉贤区), so
# lists follow the order Shanghai itself uses.
DISTRICTS = [
    {"name": "黄浦区", "ordering": 1},
    {"name": "徐汇区", "ordering": 4},
    {"name": "长宁区", "ordering": 5},
    {"name": "普陀区", "ordering": 7},
    {"name": "浦东新区", "ordering": 15},
    {"name": "松江区", "ordering": 17},
    {"name": "奉贤区", "ordering": 20},
]

STREETS = [
    {"district": "徐汇区", "name": "湖南街道", "kind": "street"},
    {"district": "长宁区", "name": "周家桥街道", "kind": "street"},
    {"district": "普陀区", "name": "长寿路街道", "kind": "street"},
    {"district": "黄浦区", "name": "外滩街道", "kind": "street"},
    {"district": "浦东新区", "name": "周家渡街道", "kind": "street"},
    {"district": "奉贤区", "name": "金汇镇", "kind": "town"},
    {"district": "松江区", "name": "九亭镇", "kind": "town"},
]

NEIGHBOURHOODS = [
    # 湖南街道: the article names no neighbourhood; these two carry the names of its roads.
    {"street": "湖南街道", "name": "五原居民区", "kind": "neighbourhood", "illustrative": ("name",)},
    {"street": "湖南街道", "name": "武康居民区", "kind": "neighbourhood", "illustrative": ("name",)},
    # 周家桥街道: where the first micro-wishes were claimed.
    {"street": "周家桥街道", "name": "天山华庭居民区", "kind": "neighbourhood"},
    {"street": "周家桥街道", "name": "武夷居民区", "kind": "neighbourhood"},
    {"street": "外滩街道", "name": "北京居民区", "kind": "neighbourhood"},
    {"street": "外滩街道", "name": "汉口居民区", "kind": "neighbourhood"},
    {"street": "外滩街道", "name": "宝兴居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "云莲一居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "上南四村居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "上南二村居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "云台一居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "齐二居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "昌里花园居民区", "kind": "neighbourhood"},
    {"street": "周家渡街道", "name": "昌七居民区", "kind": "neighbourhood"},
    {"street": "金汇镇", "name": "梅园村", "kind": "village"},
    {"street": "金汇镇", "name": "旺苑社区", "kind": "neighbourhood"},
    {"street": "金汇镇", "name": "金汇社区", "kind": "neighbourhood"},
    {"street": "金汇镇", "name": "恒苑社区", "kind": "neighbourhood"},
    {"street": "九亭镇", "name": "象屿品城居民区", "kind": "neighbourhood"},
    # 长寿路街道: the article names no neighbourhood; these two carry the names of its roads. Their elderly
    # residents are the audience of the street's 老年助餐 subsidy (portal.demo.lunch_data).
    {"street": "长寿路街道", "name": "新会居民区", "kind": "neighbourhood", "illustrative": ("name",)},
    {"street": "长寿路街道", "name": "西康居民区", "kind": "neighbourhood", "illustrative": ("name",)},
]

BUILDINGS = [
    {"street": "湖南街道", "name": "世纪商贸广场", "kind": "office", "address": "长乐路989号"},
    {"street": "湖南街道", "name": "环贸广场", "kind": "office", "address": "淮海中路999号"},
    {"street": "湖南街道", "name": "永隆商务楼", "kind": "office", "address": "淮海中路1298号"},
    {"street": "湖南街道", "name": "瑞力大厦", "kind": "office", "address": "淮海中路1325号"},
    # Addresses the articles don't give are left blank rather than guessed.
    {"street": "周家桥街道", "name": "来福士广场", "kind": "office", "address": ""},
    {"street": "周家桥街道", "name": "雅仕大厦", "kind": "office", "address": ""},
    {"street": "长寿路街道", "name": "平高国际大厦", "kind": "office", "address": ""},
    {"street": "长寿路街道", "name": "谈家28", "kind": "office", "address": ""},
    {"street": "长寿路街道", "name": "我格广场", "kind": "office", "address": ""},
    # One of the 曹杨路联合党委's landmark buildings; it has no station in the demo, so lunch is delivered to its lobby.
    {"street": "长寿路街道", "name": "科技馆", "kind": "office", "address": ""},
]

# Listed parents first: a child names its parent, which must already be loaded.
ORGANISATIONS = [
    # --- 徐汇区湖南街道
    {
        "street": "湖南街道",
        "kind": "party",
        "name": "湖南街道党工委",
        "description": "深化“500米党群服务圈”建设，以“下一站·党群服务站”为理念，在辖区内打造了7个党群服务站。",
    },
    # --- 长宁区周家桥街道
    {
        "street": "周家桥街道",
        "kind": "party",
        "name": "周家桥街道党工委",
        "description": (
            "坚持“党员、群众在哪里，党建工作就跟进到哪里”，将楼宇、园区党建服务站、白领中心作为加强“两新”组织党建、"
            "服务凝聚白领、优化营商环境的重要载体；形成“荟休闲”“荟交友”“荟学习”“荟公益”等7个系列20余项服务内容。"
        ),
    },
    {
        "street": "周家桥街道",
        "kind": "party",
        "name": "来福士联合党总支",
        "building": "来福士广场",
        "parent": "周家桥街道党工委",
        "description": "认领天山华庭居民区困难老人的微心愿：每月一次为居民区高龄老人上门扦脚，与居民区书记一同到居委会为8位老人洗脚、扦脚。",
    },
    {
        "street": "周家桥街道",
        "kind": "party",
        "name": "龙之梦雅仕大厦联合党支部",
        "building": "雅仕大厦",
        "parent": "周家桥街道党工委",
        "description": "雅仕大厦楼宇联合党支部，开展走访慰问。",
    },
    {
        "street": "周家桥街道",
        "kind": "party",
        "name": "长宁妇幼保健院党总支",
        "description": "认领武夷居民区困难党员胡阿姨的微心愿：一台血糖测量仪，并到老人家中送上心愿慰问品。",
    },
    {
        "street": "周家桥街道",
        "kind": "partner",
        "name": "长宁区总工会",
        "description": "“长宁工会”资源走进楼宇、深入企业、面向职工：“长宁工会快乐课堂”瑜伽、茶艺等午间休闲活动和“艺惠职工·文荟周桥”职工艺术沙龙。",
    },
    {
        "street": "周家桥街道",
        "kind": "partner",
        "name": "长宁区工人文化宫",
        "description": "与周家桥街道党建服务中心联建签约、开展项目共建，“长工快乐课堂”和“职工文化配送”品牌项目在周家桥设示范教学点。",
    },
    {
        "street": "周家桥街道",
        "kind": "partner",
        "name": "上海助友职业技术培训中心",
        "description": "班后一小时为白领开设有助于职业技能、综合能力提升，并享受政府专项补贴的培训、考证类课程。",
    },
    {
        "street": "周家桥街道",
        "kind": "partner",
        "name": "长宁区妇幼保健院",
        "description": "区域单位，其党总支认领困难党员的微心愿。",
    },
    # --- 普陀区长寿路街道
    {
        "street": "长寿路街道",
        "kind": "party",
        "name": "长寿路街道党工委",
        "description": (
            "推出“楼长制”（“1+4+X”队伍，“有问题找楼长”）和“楼长点点通”小程序；打造“长寿白领午餐”项目；"
            "“乐ing长寿·零距离”品牌项目以“圆梦行动”党员志愿公益活动为核心，参与公益服务打卡积分、区域单位赞助兑换积分。"
        ),
    },
    {
        "street": "长寿路街道",
        "kind": "party",
        "name": "宝成湾区联合党委",
        "parent": "长寿路街道党工委",
        "description": "2018年底成立的全市第一家湾区党委，统筹湾区各方力量，联合攻坚区域内大事、难事。",
    },
    {
        "street": "长寿路街道",
        "kind": "party",
        "name": "曹杨路联合党委",
        "parent": "长寿路街道党工委",
        "description": "以“地缘、业缘、趣缘”为纽带的功能型联合党委，把谈家28、科技馆、我格广场等标志性楼宇（商圈）集聚起来、组织起来。",
    },
    {
        "street": "长寿路街道",
        "kind": "merchant",
        "name": "红子鸡美食总汇",
        "description": "有着20多年业界良好口碑的餐饮企业，“长寿白领午餐”优选商户。",
    },
    {
        "street": "长寿路街道",
        "kind": "merchant",
        "name": "顺风大酒店",
        "description": "有着20多年业界良好口碑的餐饮企业，“长寿白领午餐”优选商户。",
    },
    {
        "street": "长寿路街道",
        "kind": "merchant",
        "name": "澳门陈光记",
        "description": "有着20多年业界良好口碑的餐饮企业，“长寿白领午餐”优选商户。",
    },
    {
        "street": "长寿路街道",
        "kind": "merchant",
        "name": "盒马鲜生",
        "description": "“乐ING食刻”合作商户：线上点餐、配送上门，为长寿白领推送25—28元价位量身定制的午市套餐。",
    },
    {
        "street": "长寿路街道",
        "kind": "enterprise",
        "name": "演示科技（上海）有限公司",
        "building": "平高国际大厦",
        "description": "演示数据：虚构的入驻企业，供演示白领账号使用。",
    },
    # More fictional enterprises, whose office workers order the demo's white-collar lunches (portal.demo.lunch_data).
    {
        "street": "长寿路街道",
        "kind": "enterprise",
        "name": "演示设计（上海）有限公司",
        "building": "谈家28",
        "description": "演示数据：虚构的入驻企业，其白领订购演示的白领午餐。",
    },
    {
        "street": "长寿路街道",
        "kind": "enterprise",
        "name": "演示传媒（上海）有限公司",
        "building": "我格广场",
        "description": "演示数据：虚构的入驻企业，其白领订购演示的白领午餐。",
    },
    {
        "street": "长寿路街道",
        "kind": "enterprise",
        "name": "演示数据服务（上海）有限公司",
        "building": "科技馆",
        "description": "演示数据：虚构的入驻企业，其白领订购演示的白领午餐。",
    },
    # --- 黄浦区外滩街道
    {
        "street": "外滩街道",
        "kind": "party",
        "name": "外滩街道党工委",
        "description": "街道“书记工作室”定期举办书记沙龙，聚焦党建引领“零距离家园”建设：服务群众、议事协商、条块协作、多元互动“零距离”。",
    },
    {
        "street": "外滩街道",
        "kind": "party",
        "name": "北京居民区党总支",
        "parent": "外滩街道党工委",
        "description": "组织党员参观南湖革命纪念馆，开展“我践诺我承诺——我为建国70周年添光彩”主题党日活动。",
    },
    {
        "street": "外滩街道",
        "kind": "party",
        "name": "汉口居民区党总支",
        "parent": "外滩街道党工委",
        "description": "组织全体党员、入党积极分子前往张闻天故居参观学习。",
    },
    {
        "street": "外滩街道",
        "kind": "party",
        "name": "恒源祥集团党委",
        "description": "与外滩街道党工委携手11家老字号企业“同心向党，共绣国旗”，以上海绒绣迎接新中国成立70周年。",
    },
    {
        "street": "外滩街道",
        "kind": "enterprise",
        "name": "恒源祥集团",
        "description": "“同心向党，共绣国旗”外滩老字号专场的主办企业，恒源祥绒绣工作室的年轻传承人指导各老字号新生代共绣国旗。",
    },
    *(
        {"street": "外滩街道", "kind": "enterprise", "name": name, "description": "外滩老字号，参加“同心向党，共绣国旗”活动。"}
        for name in ("张小泉", "老凤祥", "杏花楼", "朵云轩", "古今")
    ),
    {
        "street": "外滩街道",
        "kind": "enterprise",
        "name": "上海申厦物业有限公司",
        "description": "工程部经理赵赞从是全国五一劳动奖章获得者、上海市劳模，打造“三全”服务品牌、培养“七有”服务团队。",
    },
    {
        "street": "外滩街道",
        "kind": "partner",
        "name": "外滩街道总工会",
        "description": "以竭诚服务职工群众为一切工作的出发点和落脚点，构建工会“大学校、大舞台、大家庭、大平台”工作格局。",
    },
    {
        "street": "外滩街道",
        "kind": "partner",
        "name": "宝兴老年人日间照料中心",
        "description": "重修开放一周年之际联合宝兴居委举办社区义诊：测量血压、血糖、口腔检查、视力筛查、中医耳穴等。",
    },
    # --- 浦东新区周家渡街道
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "周家渡街道党工委",
        "description": "统筹协调辖区各方资源，用好党建共建这条红线，牵引更多辖区党组织把服务下沉社区。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "周家渡街道社区党委",
        "parent": "周家渡街道党工委",
        "description": "指导居民区和辖区单位党组织开展党建联建共建，调研走访社区、精准把脉百姓需求。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "云莲一居民区党总支",
        "parent": "周家渡街道社区党委",
        "description": "在浦东东站长设立“家门口服务站”，发动社区党员志愿者协助旅客问询、搬运、秩序维护和简单医疗救援，客运高峰时提供支持。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "上南四村居民区党总支",
        "parent": "周家渡街道社区党委",
        "description": "与上南二村小学党支部共同成立“二四德吧”，把学生德育、社区敬老服务和垃圾分类串联在一起。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "上南二村居民区党总支",
        "parent": "周家渡街道社区党委",
        "description": "与居委联合数十家公益团队开展垃圾分类宣传、慈善募捐和理发、量血压、测血糖、法律咨询、修补衣物、磨剪刀等便民服务。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "浦东东站长支部",
        "description": "以国企社会责任和党员志愿服务精神为指引，为云莲一居民区提供潮汐式停车方案、开放职工食堂。",
    },
    {
        "street": "周家渡街道",
        "kind": "party",
        "name": "上南二村小学党支部",
        "description": "与上南四村居民区党总支共建“二四德吧”：校园“拾尚包”回收可回收垃圾，所得用于社区困难老人的慰问帮扶。",
    },
    {
        "street": "周家渡街道",
        "kind": "partner",
        "name": "上海浦东东站长途客运有限公司",
        "description": (
            "与云莲一居民区一墙之隔：利用地下停车库为居民提供潮汐式停车，开放东站长职工食堂为吃饭难的老年居民提供就餐服务，"
            "并通过“浦东志愿服务”提供帮困助残、就业实习、优惠旅游等服务。"
        ),
    },
    {
        "street": "周家渡街道",
        "kind": "partner",
        "name": "上南二村小学",
        "description": "“二四德吧”共建单位，与社区共同举办“社区趣味运动会”。",
    },
    # --- 奉贤区金汇镇
    {
        "street": "金汇镇",
        "kind": "party",
        "name": "金汇镇党委",
        "description": "以“东方美谷·美在金汇”区域化党建联盟为平台，开展“主题月”“代表月月行”活动，激活全镇191个党群服务站点。",
    },
    {
        "street": "金汇镇",
        "kind": "party",
        "name": "梅园村党总支",
        "parent": "金汇镇党委",
        "description": "将“党建微家”与“党小组长工作室”相结合，延伸站点功能。",
    },
    {
        "street": "金汇镇",
        "kind": "party",
        "name": "旺苑社区党支部",
        "parent": "金汇镇党委",
        "description": "总结疫情防控经验，打造全镇第一个党群服务亭。",
    },
    {
        "street": "金汇镇",
        "kind": "party",
        "name": "恒苑社区党支部",
        "parent": "金汇镇党委",
        "description": "成立“党群服务健康微站”，对接社区卫生服务中心医疗资源。",
    },
    {
        "street": "金汇镇",
        "kind": "partner",
        "name": "金汇镇社区卫生服务中心",
        "description": "为“党群服务健康微站”提供医疗资源，定期为社区居民、户外职工免费量血压、测血糖、开设健康讲座。",
    },
    # --- 松江区九亭镇
    {
        "street": "九亭镇",
        "kind": "party",
        "name": "象屿品城居民区党支部",
        "description": (
            "探索“爱相伴”党建项目，培育志愿者沙龙、开心小屋、“品城有爱”便民服务队等团队；"
            "支部委员潘伟峰和7名小区退休党员组成“小潘工作室”，“有事找小潘”。"
        ),
    },
]

STATIONS = [
    # --- 徐汇区湖南街道: “下一站·党群服务站”, seven stations within a 500-metre service circle.
    {
        "slug": "wutong-learning",
        "name": "梧桐·Learning",
        "kind": "building",
        "street": "湖南街道",
        "address": "衡复历史文化风貌区核心区域",
        "latitude": "31.209800",
        "longitude": "121.443000",
        "phone": "021-64370101",
        "illustrative": ("address",),
        "description": (
            "坐落在衡复历史文化风貌区核心区域。党组织牵头发动楼宇白领、社区居民、基层干部共同参与社区治理和城市发展，"
            "叠加“爱心妈咪小屋”“职工音乐书屋”“书记工作室”等功能，努力实现对城市各类人群的服务、凝聚、引领。"
        ),
    },
    {
        "slug": "wutong-space",
        "name": "梧桐·SPACE",
        "kind": "building",
        "street": "湖南街道",
        "building": "世纪商贸广场",
        "address": "长乐路989号世纪商贸广场302室",
        "latitude": "31.219600",
        "longitude": "121.450900",
        "phone": "021-64370102",
        "description": "已组建梧桐话剧社、梧桐书法社、梧桐阿卡贝拉音乐社等团队，每周定期开设课程，并组织社员开展活动。",
    },
    {
        "slug": "wutong-iapm",
        "name": "梧桐·IAPM",
        "kind": "building",
        "street": "湖南街道",
        "building": "环贸广场",
        "address": "淮海中路999号环贸广场一期2117室",
        "latitude": "31.218500",
        "longitude": "121.458300",
        "phone": "021-64370103",
        "description": "楼宇党组织、群团组织和白领员工可以参加空间内开设的丰富多彩的主题活动，也可以申请使用内部各功能区域。",
    },
    {
        "slug": "huaihai-1298",
        "name": "淮海·1298",
        "kind": "building",
        "street": "湖南街道",
        "building": "永隆商务楼",
        "address": "淮海中路1298号永隆商务楼5楼",
        "latitude": "31.214200",
        "longitude": "121.449800",
        "phone": "021-64370104",
        "description": "以弘扬中国优秀传统文化为特色开展服务，推出以中国古诗词、水墨画、传统节日、传统手工艺等内容为主的活动。",
    },
    {
        "slug": "huaihai-ruili",
        "name": "淮海·瑞力",
        "kind": "building",
        "street": "湖南街道",
        "building": "瑞力大厦",
        "address": "淮海中路1325号瑞力大厦4楼",
        "latitude": "31.214700",
        "longitude": "121.448600",
        "phone": "021-64370105",
        "description": "以美好生活类服务为主题开展活动，推出电影赏析讲座、摄影讲座、咖啡沙龙、工会会员服务等项目。",
    },
    {
        "slug": "huaihai-dayin",
        "name": "淮海·大隐",
        "kind": "building",
        "street": "湖南街道",
        "address": "淮海中路1834号大隐书局",
        "latitude": "31.205700",
        "longitude": "121.438500",
        "phone": "021-64370106",
        "description": "开设以梧桐阅读联盟、优秀书籍分享、小型读书会为主题的特色活动，为各“两新”党支部提供活动资源。",
    },
    {
        "slug": "wutong-microcharity",
        "name": "梧桐·MicroCharity",
        "kind": "centre",
        "street": "湖南街道",
        "address": "湖南路301号湖南街道为老服务中心",
        "latitude": "31.206200",
        "longitude": "121.440800",
        "phone": "021-64370107",
        "description": (
            "以微公益为特点的党群服务站，实现线上线下叠加模式：居民区、“两新”组织、区域单位共同组建议事机构，"
            "共享空间形成联合管理，将微公益辐射到区域内所有党组织。"
        ),
    },
    # --- 长宁区周家桥街道: launched on 30 August 2018 with the 长宁 trade union.
    {
        "slug": "zhoujiaqiao-building-station",
        "name": "周家桥街道楼宇党建服务站",
        "kind": "building",
        "street": "周家桥街道",
        "building": "来福士广场",
        "address": "长宁路来福士广场",
        "latitude": "31.220800",
        "longitude": "121.413800",
        "phone": "021-62110201",
        "illustrative": ("address", "place"),
        "description": (
            "午间一小时开设“午+1白领精致生活主题沙龙”“周桥二十四味”文化活动和“长宁工会快乐课堂”瑜伽、茶艺等休闲活动；"
            "班后一小时开设享受政府专项补贴的培训、考证类课程；工作时段为企业配送员工健康保健、心理舒缓、休闲娱乐类活动。"
            "其他时段向楼宇内企业、党员和白领开放健身区、阅读区、手工制作区、多功能会议室、咨询洽谈区、妈咪小屋，来访制或预约制。"
        ),
    },
    {
        "slug": "zhoujiaqiao-white-collar-centre",
        "name": "周家桥街道白领中心",
        "kind": "building",
        "street": "周家桥街道",
        "building": "雅仕大厦",
        "address": "长宁路龙之梦雅仕大厦",
        "latitude": "31.221600",
        "longitude": "121.417500",
        "phone": "021-62110202",
        "illustrative": ("address", "place"),
        "description": (
            "与楼宇党建服务站同时启动，围绕“荟聚”主题，形成“荟休闲”“荟交友”“荟学习”“荟公益”等7个系列20余项服务内容，"
            "让年轻白领在楼宇党建新模式中找到新的归属感。"
        ),
    },
    {
        "slug": "zhoujiaqiao-centre",
        "name": "周家桥社区党建服务中心",
        "kind": "centre",
        "street": "周家桥街道",
        "address": "周家桥街道",
        "latitude": "31.217500",
        "longitude": "121.408000",
        "phone": "021-62110200",
        "illustrative": ("address",),
        "description": (
            "与区工人文化宫开展项目共建，是“长工快乐课堂”和“职工文化配送”品牌项目的示范教学点，让白领职工就近享受公益性职工文体产品和服务。"
        ),
    },
    # --- 普陀区长寿路街道: 48 buildings, 6000 enterprises, 50,000 office workers; lunch starts at 新会.
    {
        "slug": "changshou-xinhui",
        "name": "新会片区党群服务站",
        "kind": "building",
        "street": "长寿路街道",
        "address": "新会路片区",
        "latitude": "31.247500",
        "longitude": "121.444500",
        "phone": "021-62660301",
        "illustrative": ("address",),
        "description": (
            "“长寿白领午餐”先行先试的站点：采取“政府补贴一点、商户让利一点、白领自费一点”的方式，"
            "遴选优质商户把午餐配送到党群服务站点，方便附近白领就餐。"
        ),
    },
    {
        "slug": "changshou-pinggao",
        "name": "平高国际大厦党群服务站",
        "kind": "building",
        "street": "长寿路街道",
        "building": "平高国际大厦",
        "address": "平高国际大厦",
        "latitude": "31.243200",
        "longitude": "121.437200",
        "phone": "021-62660302",
        "illustrative": ("station", "address"),
        "description": "楼长走访平高国际大厦时，白领反映午间用餐难，由此有了“长寿白领午餐”项目；楼宇党群服务站陆续增设白领午餐点。",
    },
    {
        "slug": "changshou-imago",
        "name": "我格广场党群服务站",
        "kind": "building",
        "street": "长寿路街道",
        "building": "我格广场",
        "address": "我格广场",
        "latitude": "31.239500",
        "longitude": "121.430000",
        "phone": "021-62660303",
        "illustrative": ("station", "address"),
        "description": "曹杨路联合党委的标志性楼宇之一；街道根据白领的需要在楼宇党群服务站陆续增设白领午餐点。",
    },
    {
        "slug": "changshou-tanjia28",
        "name": "谈家28党群服务站",
        "kind": "building",
        "street": "长寿路街道",
        "building": "谈家28",
        "address": "谈家28",
        "latitude": "31.242800",
        "longitude": "121.425000",
        "phone": "021-62660304",
        "illustrative": ("station", "address"),
        "description": "曹杨路联合党委的标志性楼宇之一；街道根据白领的需要在楼宇党群服务站陆续增设白领午餐点。",
    },
    # --- 黄浦区外滩街道: the article names no station; the street's centre hosts the secretaries' salon.
    {
        "slug": "waitan-centre",
        "name": "外滩街道社区党群服务中心",
        "kind": "centre",
        "street": "外滩街道",
        "address": "外滩街道",
        "latitude": "31.238000",
        "longitude": "121.485000",
        "phone": "021-63290401",
        "illustrative": ("station", "address"),
        "description": (
            "街道“书记工作室”（张理群书记工作室、牟建林书记工作室）举办书记沙龙，居民区党总支书记交流“零距离家园”建设经验："
            "服务群众零距离、议事协商零距离、条块协作零距离、多元互动零距离。"
        ),
    },
    # --- 浦东新区周家渡街道: “家门口服务站”, Pudong's name for the neighbourhood station.
    {
        "slug": "zhoujiadu-yunlian-1",
        "name": "云莲一居民区家门口服务站",
        "kind": "neighbourhood",
        "street": "周家渡街道",
        "neighbourhood": "云莲一居民区",
        "address": "云莲一居民区",
        "latitude": "31.183000",
        "longitude": "121.496000",
        "phone": "021-58830501",
        "illustrative": ("address",),
        "description": (
            "与一墙之隔的上海浦东东站长途客运有限公司党建联建：东站长为居民量身打造潮汐式停车方案、开放职工食堂为吃饭难的老年居民提供就餐；"
            "居民区党员志愿者为东站长旅客服务，春运时云莲一书画社以春联和福字装扮站厅。"
        ),
    },
    {
        "slug": "zhoujiadu-dongzhan",
        "name": "浦东东站长家门口服务站",
        "kind": "neighbourhood",
        "street": "周家渡街道",
        "neighbourhood": "云莲一居民区",
        "address": "上海浦东东站长途客运站内",
        "latitude": "31.183800",
        "longitude": "121.497500",
        "phone": "021-58830502",
        "illustrative": ("address",),
        "description": (
            "云莲一居民区党总支在浦东东站长设立的“家门口服务站”：社区党员志愿者协助旅客问询、搬运、秩序维护和简单医疗救援；"
            "节假日客运高峰，志愿服务人数、频次、时间与东站长的需求、发车班次和运营时间相匹配。"
        ),
    },
    # --- 奉贤区金汇镇: 191 stations across the town; the town centre and four village/community stations.
    {
        "slug": "jinhui-centre",
        "name": "金汇镇社区党群服务中心",
        "kind": "centre",
        "street": "金汇镇",
        "address": "金汇镇",
        "latitude": "30.993600",
        "longitude": "121.535500",
        "phone": "021-57560601",
        "illustrative": ("address",),
        "description": (
            "2018年7月完成二次改造，新场馆建筑面积1500平方米，是集党建服务窗口、党建形象展示、党员培训教育和区域党建联动"
            "“四位一体”的镇级枢纽平台。梳理各类党群服务资源清单，提供菜单式服务，形成“一站多用、多点合一、共建共享”新格局。"
        ),
    },
    {
        "slug": "jinhui-jinhui",
        "name": "金汇社区党群服务站",
        "kind": "neighbourhood",
        "street": "金汇镇",
        "neighbourhood": "金汇社区",
        "address": "金汇社区",
        "latitude": "30.995000",
        "longitude": "121.533000",
        "phone": "021-57560602",
        "illustrative": ("address",),
        "description": "结合“四史”学习教育建立“百姓倾听港”，通过“有声图书馆”栏目便于党员群众获取信息、学习知识。",
    },
    {
        "slug": "jinhui-hengyuan",
        "name": "恒苑社区党群服务站",
        "kind": "neighbourhood",
        "street": "金汇镇",
        "neighbourhood": "恒苑社区",
        "address": "恒苑社区",
        "latitude": "30.990500",
        "longitude": "121.538000",
        "phone": "021-57560603",
        "illustrative": ("address",),
        "description": (
            "恒苑社区党支部成立“党群服务健康微站”，对接社区卫生服务中心医疗资源，定期为社区居民、户外职工提供免费量血压、测血糖、健康讲座等服务。"
        ),
    },
    {
        "slug": "jinhui-wangyuan",
        "name": "旺苑社区党群服务亭",
        "kind": "neighbourhood",
        "street": "金汇镇",
        "neighbourhood": "旺苑社区",
        "address": "旺苑社区",
        "latitude": "30.996500",
        "longitude": "121.539500",
        "phone": "021-57560604",
        "illustrative": ("address",),
        "description": "旺苑社区党支部总结疫情防控经验，打造的全镇第一个兼具党群服务、综合事务于一体的一站式体验办事平台。",
    },
    {
        "slug": "jinhui-meiyuan",
        "name": "梅园村党群服务站",
        "kind": "neighbourhood",
        "street": "金汇镇",
        "neighbourhood": "梅园村",
        "address": "梅园村",
        "latitude": "30.976000",
        "longitude": "121.552000",
        "phone": "021-57560605",
        "illustrative": ("address",),
        "description": "梅园村党总支将“党建微家”与“党小组长工作室”相结合，延伸了站点功能；鼓励非公企业入驻村居“党建微家”。",
    },
    # --- 松江区九亭镇
    {
        "slug": "jiuting-xiangyu-pincheng",
        "name": "象屿品城居民区党群服务站",
        "kind": "neighbourhood",
        "street": "九亭镇",
        "neighbourhood": "象屿品城居民区",
        "address": "象屿品城",
        "latitude": "31.135500",
        "longitude": "121.324500",
        "phone": "021-67690701",
        "illustrative": ("address",),
        "description": (
            "依托党群服务站探索社区情感建设，积极打造服务社区综合体。设有“每月先锋榜”“志愿服务风采墙”及“微心愿”认领服务；"
            "有党员志愿者53名、各类服务团队9支，服务涵盖关爱帮扶、邻里调解、爱国卫生、垃圾分类、治安巡逻、疫情防控等。"
            "2017年挂牌成立“小潘工作室”，“有事找小潘”成为社区居民的口头禅。"
        ),
    },
]

# One account per role, all with DEMO_PASSWORD and a confirmed e-mail address. The README
# and `seed_demo`'s output both list these. All people here are fictional.
DEMO_ACCOUNTS = [
    {
        "email": "resident@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "李阿姨",
        "role": "resident, verified, of 五原居民区 (湖南街道)",
        "role_zh": "居民（湖南街道五原居民区，已核实）",
        "residence": ("湖南街道", "五原居民区"),
    },
    {
        "email": "worker@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "王先生",
        "role": "office worker, verified, at an enterprise in 平高国际大厦 (长寿路街道)",
        "role_zh": "白领（平高国际大厦入驻企业，已核实）",
        "membership": {"organisation": ("长寿路街道", "演示科技（上海）有限公司"), "role": "member"},
    },
    {
        "email": "member@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "陈女士",
        "role": "party member, verified, and representative of 来福士联合党总支",
        "role_zh": "党员（来福士联合党总支代表，已核实）",
        "membership": {"organisation": ("周家桥街道", "来福士联合党总支"), "role": "representative"},
    },
    # Two more party members, each a representative who claims micro-wishes for their organisation.
    {
        "email": "rep-fuyou@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "张医生",
        "role": "party member, verified, and representative of 长宁妇幼保健院党总支",
        "role_zh": "党员（长宁妇幼保健院党总支代表，已核实）",
        "membership": {"organisation": ("周家桥街道", "长宁妇幼保健院党总支"), "role": "representative"},
    },
    {
        "email": "rep-yashi@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "吴先生",
        "role": "party member, verified, and representative of 龙之梦雅仕大厦联合党支部",
        "role_zh": "党员（龙之梦雅仕大厦联合党支部代表，已核实）",
        "membership": {"organisation": ("周家桥街道", "龙之梦雅仕大厦联合党支部"), "role": "representative"},
    },
    {
        "email": "staff@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "周老师",
        "role": "station staff of 梧桐·SPACE",
        "role_zh": "站点工作人员（梧桐·SPACE）",
        "staff": {"role": "station_staff", "station": "wutong-space"},
    },
    {
        "email": "street@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "刘书记",
        "role": "street administrator of 湖南街道",
        "role_zh": "街道管理员（徐汇区湖南街道）",
        "staff": {"role": "street_admin", "street": "湖南街道"},
    },
    {
        "email": "merchant@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "黄经理",
        "role": "merchant staff of 红子鸡美食总汇",
        "role_zh": "商户工作人员（红子鸡美食总汇）",
        "staff": {"role": "merchant_staff", "merchant": ("长寿路街道", "红子鸡美食总汇")},
    },
    # The white-collar lunch at 长寿路街道: the desk of a lunch point (top-ups, handover) and the street that
    # vets merchants, sets the subsidy and reads the reports.
    {
        "email": "staff-changshou@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "孙老师",
        "role": "station staff of 平高国际大厦党群服务站 (white-collar lunch point, 长寿路街道)",
        "role_zh": "站点工作人员（平高国际大厦党群服务站，白领午餐点）",
        "staff": {"role": "station_staff", "station": "changshou-pinggao"},
    },
    {
        "email": "street-changshou@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "钱主任",
        "role": "street administrator of 长寿路街道",
        "role_zh": "街道管理员（普陀区长寿路街道）",
        "staff": {"role": "street_admin", "street": "长寿路街道"},
    },
    {
        "email": "admin@demo.station.cn",
        "password": DEMO_PASSWORD,
        "display_name": "系统管理员",
        "role": "superuser",
        "role_zh": "系统管理员（超级用户）",
        "superuser": True,
    },
]
