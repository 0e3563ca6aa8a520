"""Demo white-collar lunch (长寿白领午餐), after the 长寿路街道 article: 48 buildings, 6,000 enterprises, 50,000
office workers, 94 % of the enterprises without a canteen. The street chose restaurants with twenty years of good
name — 红子鸡美食总汇, 顺风大酒店, 澳门陈光记 — and 盒马鲜生, which delivers set meals “量身定制” at 25–28 yuan;
lunch is priced by “政府补贴一点、商户让利一点、白领自费一点” and handed out at lunch points in the building
stations, starting at 新会片区. (The other article's company canteen opened to elderly residents who can't cook
is the model for the street's second, 老年助餐 policy.)

What comes from the articles: the four merchants, the price range, the three-way split of the price, the lunch
points in the building stations, the first one at 新会片区. Everything else is illustrative: licence numbers
(the real 食品经营许可证 format — JY, a category digit, the 普陀区 code 310107, a serial and a check digit — with
made-up serials), ratings, inspection dates, contacts and phone numbers (in the same invented 021-6266 block as
the 长寿路 stations), the dishes and their prices, the subsidy amounts and budgets, and every orderer.

Days are relative to the day the seed runs: `days` in MERCHANTS are days from today; the offers and orders are laid
out on workdays (Monday to Friday; public holidays are not skipped) around today, see `portal.demo.lunch_seed`.
Money is integer fen.
"""

STREET = "长寿路街道"

# --- merchants and their menus

# Pickup points, by name (their natural key within the street). `station` is a slug, `building` a building of
# the street: a station's lunch point (白领午餐点) or a delivery building's lobby.
POINTS = [
    {"name": "新会片区白领午餐点", "station": "changshou-xinhui", "address": "服务站一楼取餐台（先行先试的第一个午餐点）"},
    {"name": "平高国际大厦白领午餐点", "station": "changshou-pinggao", "address": "服务站门口取餐台"},
    {"name": "我格广场白领午餐点", "station": "changshou-imago", "address": "服务站休息区取餐台"},
    {"name": "谈家28白领午餐点", "station": "changshou-tanjia28", "address": "服务站一楼取餐台"},
    {"name": "科技馆大堂送餐点", "building": "科技馆", "address": "一楼大堂取餐柜（送餐上门）"},
]
WINDOW = ("11:30", "13:00")

XINHUI, PINGGAO, IMAGO, TANJIA, KEJIGUAN = (p["name"] for p in POINTS)

HONGZIJI = "红子鸡美食总汇"
SHUNFENG = "顺风大酒店"
CHENGUANGJI = "澳门陈光记"
HEMA = "盒马鲜生"

# `licence_days`: the licence expires so many days from the day the merchant is first loaded (顺风's in 20 days, inside
# the 30-day warning period, so the warning shows; none has expired). `inspected_days`: last inspection, days ago.
# `discount_fen`: the merchant's discount on every meal of its daily offers (商户让利). `points`: where its offers go.
MERCHANTS = [
    {
        "name": HONGZIJI,
        "licence_number": "JY23101070031426",
        "licence_days": 412,
        "rating": "A",
        "inspected_days": 46,
        "contact_name": "黄经理",
        "contact_phone": "021-62660311",
        "pay_at_pickup": True,
        "discount_fen": 300,
        "points": [XINHUI, PINGGAO, TANJIA],
        "meals": [
            {
                "name": "白切鸡套餐",
                "price_fen": 2800,
                "allergens": "大豆（蘸料）",
                "description": "招牌白切鸡半份配姜葱蘸料，时令蔬菜一份，例汤，米饭。",
            },
            {"name": "葱油鸡腿饭", "price_fen": 2600, "allergens": "大豆", "description": "整只去骨鸡腿淋葱油，配卤蛋半只、炒青菜、米饭。"},
            {
                "name": "椒盐排条套餐",
                "price_fen": 2700,
                "allergens": "麸质、鸡蛋",
                "description": "上海风味椒盐排条，配素鸡、炒时蔬、米饭和紫菜蛋花汤。",
            },
            {"name": "咸肉菜饭套餐", "price_fen": 2500, "allergens": "", "description": "青菜咸肉菜饭，配小排骨汤一碗。"},
        ],
    },
    {
        "name": SHUNFENG,
        "licence_number": "JY23101070018853",
        "licence_days": 20,
        "rating": "A",
        "inspected_days": 83,
        "contact_name": "沈经理",
        "contact_phone": "021-62660312",
        "pay_at_pickup": False,
        "discount_fen": 300,
        "points": [XINHUI, PINGGAO, IMAGO],
        "meals": [
            {
                "name": "本帮红烧肉套餐",
                "price_fen": 2800,
                "allergens": "大豆、麸质",
                "description": "浓油赤酱本帮红烧肉配百叶结，炒青菜，米饭，例汤。",
            },
            {"name": "糖醋小排套餐", "price_fen": 2700, "allergens": "大豆、麸质", "description": "糖醋小排，配烤麸、清炒豆苗、米饭。"},
            {"name": "清炒虾仁套餐", "price_fen": 2800, "allergens": "虾", "description": "清炒河虾仁，配蒜蓉西兰花、米饭和腌笃鲜汤。"},
            {"name": "雪菜肉丝面套餐", "price_fen": 2500, "allergens": "麸质", "description": "雪菜肉丝汤面，配熏鱼两块、凉拌黄瓜。"},
        ],
    },
    {
        "name": CHENGUANGJI,
        "licence_number": "JY23101070042317",
        "licence_days": 236,
        "rating": "B",
        "inspected_days": 118,
        "contact_name": "梁店长",
        "contact_phone": "021-62660313",
        "pay_at_pickup": True,
        "discount_fen": 200,
        "points": [XINHUI, PINGGAO, IMAGO, TANJIA],
        "meals": [
            {"name": "烧鹅饭", "price_fen": 2800, "allergens": "大豆", "description": "澳门风味烧鹅（例牌），配白灼菜心、米饭、老火例汤。"},
            {"name": "蜜汁叉烧饭", "price_fen": 2600, "allergens": "大豆、麸质、芝麻", "description": "蜜汁叉烧，配溏心蛋、白灼菜心、米饭。"},
            {"name": "豉汁排骨饭", "price_fen": 2500, "allergens": "大豆", "description": "豉汁蒸排骨，配蒸滑蛋、时蔬、米饭。"},
        ],
    },
    {
        "name": HEMA,
        "licence_number": "JY13101070057712",
        "licence_days": 645,
        "rating": "A",
        "inspected_days": 31,
        "contact_name": "蒋店长",
        "contact_phone": "021-62660314",
        "pay_at_pickup": False,
        "discount_fen": 200,
        "points": [KEJIGUAN, PINGGAO, TANJIA],
        "meals": [
            {"name": "轻食鸡胸沙拉", "price_fen": 2500, "allergens": "鸡蛋、芝麻", "description": "低温鸡胸肉、藜麦、牛油果、混合生菜，配胡麻酱。"},
            {"name": "照烧鸡腿便当", "price_fen": 2600, "allergens": "大豆、麸质、芝麻", "description": "照烧鸡腿配玉子烧、西兰花、日式米饭。"},
            {
                "name": "三文鱼藜麦碗",
                "price_fen": 2800,
                "allergens": "鱼、大豆、芝麻",
                "description": "三文鱼、藜麦饭、毛豆、紫甘蓝、海苔，配和风酱汁。",
            },
            {"name": "黑椒牛柳意面", "price_fen": 2800, "allergens": "麸质、乳制品", "description": "黑椒牛柳意面，配田园沙拉一份。"},
            {"name": "番茄牛腩饭", "price_fen": 2700, "allergens": "", "description": "番茄慢炖牛腩，配时蔬和杂粮饭。"},
        ],
    },
]

# A point whose portions of an offer are capped (盒马's lobby locker holds 20 meals), to show per-point quotas.
POINT_QUOTAS = {(HEMA, KEJIGUAN): 20}

# Daily offers: each merchant offers 2 or 3 of its meals a day (taking turns through its menu), with portions
# between QUOTA_MIN and QUOTA_MAX, until the cut-off.
QUOTA_MIN, QUOTA_MAX = 30, 80
CUTOFF = "10:30"
PAST_WORKDAYS = 2  # the orders' history: the two workdays before today, picked up or not
COMING_WORKDAYS = 4  # after today (today too, when it is a workday)

# --- subsidy policies of the street (valid from 1 January of the year of the first run)

POLICIES = [
    {
        "name": "长寿白领午餐补贴",
        "audience": "workers",
        "subsidy_fen": 1000,
        "monthly_budget_fen": 20_000_000,  # ¥200,000
    },
    {
        "name": "长寿老年助餐补贴",
        "audience": "elderly",
        "subsidy_fen": 800,
        "monthly_budget_fen": 3_000_000,  # ¥30,000
        "neighbourhoods": ["新会居民区", "西康居民区"],
    },
]

# --- the people who order

WORKER = "worker@demo.station.cn"
DESK = "staff-changshou@demo.station.cn"  # station staff of 平高国际大厦党群服务站: takes top-ups, hands lunches over
MERCHANT_STAFF = "merchant@demo.station.cn"  # merchant staff of 红子鸡美食总汇: also takes top-ups for its regulars
STREET_ADMIN = "street-changshou@demo.station.cn"

# Fictional people who order lunch: office workers of the demo enterprises (verified) and one elderly resident. They
# have no password and can't sign in.
ORDERERS = [
    {"email": "lin.xiaofeng@demo.station.cn", "display_name": "林晓峰", "enterprise": "演示设计（上海）有限公司"},
    {"email": "zheng.jiayi@demo.station.cn", "display_name": "郑佳怡", "enterprise": "演示传媒（上海）有限公司"},
    {"email": "he.siyuan@demo.station.cn", "display_name": "何思远", "enterprise": "演示数据服务（上海）有限公司"},
    {"email": "xu.jing@demo.station.cn", "display_name": "许静", "enterprise": "演示科技（上海）有限公司"},
    {"email": "gu.meihua@demo.station.cn", "display_name": "顾美华", "residence": "新会居民区"},
]

# Money received at a desk before the history begins: (person, fen, recorded by, note, days ago). A person whose
# balance runs short on a later run tops up again (TOP_UP_AGAIN_FEN) at the same desk.
TOP_UPS = [
    (WORKER, 20_000, DESK, "现金", 14),
    ("lin.xiaofeng@demo.station.cn", 10_000, MERCHANT_STAFF, "微信转账", 12),
    ("zheng.jiayi@demo.station.cn", 10_000, DESK, "现金", 10),
    ("he.siyuan@demo.station.cn", 15_000, DESK, "微信转账", 9),
    ("xu.jing@demo.station.cn", 5_000, DESK, "现金", 7),
    ("gu.meihua@demo.station.cn", 10_000, MERCHANT_STAFF, "现金（居委会代收）", 15),
]
TOP_UP_AGAIN_FEN = 10_000

# Orders: (person, day, merchant, point, status, options). `day` counts workdays from the first lunch day: 0 is
# today when today is a workday, else the next workday; -1 and -2 the workdays before today. The merchant's
# first offer that day is taken (options["pick"]: its n-th). Statuses on past days: picked up, not collected or
# cancelled; on lunch days to come: placed or cancelled. Options: quantity, "pickup" (pay at pickup), feedback
# (stars, comment) after a pickup. In this order: a person's cancelled order comes before the one that took its
# day's subsidy.
ORDERS = [
    # 王先生 (worker@): the demo office worker at 平高国际大厦.
    (WORKER, -2, HONGZIJI, PINGGAO, "picked_up", {"feedback": (5, "味道正宗，送来还是热的，分量也够。")}),
    (WORKER, -1, SHUNFENG, PINGGAO, "picked_up", {"feedback": (4, "很入味，就是米饭少了点。")}),
    (WORKER, 0, CHENGUANGJI, PINGGAO, "placed", {}),
    (WORKER, 1, HONGZIJI, PINGGAO, "placed", {}),
    (WORKER, 2, HEMA, PINGGAO, "cancelled", {}),
    # 林晓峰, 谈家28
    ("lin.xiaofeng@demo.station.cn", -2, CHENGUANGJI, TANJIA, "not_collected", {}),
    ("lin.xiaofeng@demo.station.cn", -1, HONGZIJI, TANJIA, "picked_up", {"pickup": True}),
    ("lin.xiaofeng@demo.station.cn", 0, HEMA, TANJIA, "placed", {}),
    ("lin.xiaofeng@demo.station.cn", 1, CHENGUANGJI, TANJIA, "placed", {"quantity": 2, "pick": 1}),
    # 郑佳怡, 我格广场: changed her mind one day (cancelled 陈光记, then ordered 顺风).
    ("zheng.jiayi@demo.station.cn", -2, SHUNFENG, IMAGO, "picked_up", {"feedback": (3, "味道不错，就是偏甜了一些。")}),
    ("zheng.jiayi@demo.station.cn", -1, CHENGUANGJI, IMAGO, "cancelled", {}),
    ("zheng.jiayi@demo.station.cn", -1, SHUNFENG, IMAGO, "picked_up", {"pick": 1}),
    ("zheng.jiayi@demo.station.cn", 0, SHUNFENG, IMAGO, "placed", {}),
    # 何思远, 科技馆 (盒马 delivers to the lobby)
    ("he.siyuan@demo.station.cn", -2, HEMA, KEJIGUAN, "picked_up", {"feedback": (5, "送到大堂很方便，食材新鲜。")}),
    ("he.siyuan@demo.station.cn", -1, HEMA, KEJIGUAN, "not_collected", {}),
    ("he.siyuan@demo.station.cn", 0, HEMA, KEJIGUAN, "cancelled", {}),
    ("he.siyuan@demo.station.cn", 1, HEMA, KEJIGUAN, "placed", {"pick": 1}),
    # 许静, 平高国际大厦: lunch for a colleague too (the subsidy covers one meal).
    ("xu.jing@demo.station.cn", -1, HONGZIJI, PINGGAO, "picked_up", {"quantity": 2, "feedback": (4, "帮同事带了一份，两个人都说好吃。")}),
    ("xu.jing@demo.station.cn", 0, HONGZIJI, XINHUI, "placed", {"pickup": True}),
    # 顾阿姨 (顾美华), a resident of 新会居民区: the 老年助餐 subsidy.
    ("gu.meihua@demo.station.cn", -2, HONGZIJI, XINHUI, "picked_up", {"feedback": (5, "软烂好嚼，适合老年人。")}),
    ("gu.meihua@demo.station.cn", -1, SHUNFENG, XINHUI, "picked_up", {}),
    ("gu.meihua@demo.station.cn", 0, HONGZIJI, XINHUI, "placed", {"pickup": True}),
    ("gu.meihua@demo.station.cn", 1, CHENGUANGJI, XINHUI, "placed", {}),
]
