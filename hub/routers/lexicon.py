"""Vocabulary of the classifier, in simplified Chinese and English (traditional
text is converted before matching). Weights: how strongly a phrase signals a
type. Taken from the seed documents' vocabulary and real customer phrasing."""

from __future__ import annotations

TYPE_PHRASES: dict[str, dict[str, float]] = {
    "rescue": {
        "救援": 3, "拖车": 3, "抛锚": 3, "趴窝": 3, "无法启动": 2.5, "打不着火": 2.5,
        "启动不了": 2.5, "动不了": 2, "走不了": 2, "被困": 3, "困在": 2.5, "搭电": 2.5,
        "送油": 2.5, "爆胎": 2.5, "着火": 3, "冒烟": 2.5, "自燃": 3, "撞了": 2.5, "事故": 2,
        "追尾": 2.5, "高速上": 1, "服务区": 1, "路边": 1, "半路": 1.5, "熄火了": 1.5,
        "没油了": 2.5, "送点油": 2.5, "车坏了": 1.5, "马路中间": 1.5, "在桥上": 1.5,
        "车停了": 1.5, "锁死": 1.5, "在路上": 1, "派人": 1, "派车": 1.5, "快点": 0.5,
        "不敢开": 1, "应急车道": 1.5, "仪表全黑": 1.5, "开不动": 2, "推进去": 1.5,
        "完全没电": 2, "打不开车门": 1.5, "还在开": 1, "stuck": 2.5, "car died": 2.5,
        "send help": 2.5, "dead battery": 2, "换备胎": 2.5, "帮我换胎": 2.5,
        "breakdown": 3, "broke down": 3, "tow": 3, "stranded": 3, "won't start": 2.5,
        "accident": 2, "roadside": 2, "rescue": 3, "on fire": 3, "烧着": 3, "烧起来": 3,
    },
    "complaint": {
        "投诉": 3, "不满": 2, "太差": 2, "很差": 1.5, "差劲": 2, "态度": 1, "欺骗": 2.5,
        "骗": 1.5, "忽悠": 2, "敷衍": 2, "推诿": 2, "推脱": 2, "退车": 2.5, "换车": 2,
        "赔偿": 2, "曝光": 2.5, "媒体": 2, "律师": 2.5, "起诉": 2.5, "12315": 3, "消协": 3,
        "维权": 2.5, "垃圾": 2, "没人管": 2, "没人理": 2, "不给解决": 2, "还没交": 1.5,
        "延期": 1, "要求给出": 1, "给个说法": 2.5, "说法": 1, "气死": 2, "被坑": 1.5,
        "坑人": 1.5, "坑钱": 1.5, "坑我": 1.5, "坑过": 1.5, "太坑": 1.5,
        "不接受": 2, "不认账": 2, "不认": 1.5, "不给赔": 2.5, "宰客": 2.5, "举报": 2.5,
        "发微博": 2, "违背": 2, "履约": 2, "没有兑现": 2, "没兑现": 2, "耍人": 2, "离谱": 1.5,
        "有没有人管": 2, "管不管": 2, "不满意": 2, "深表不满": 2.5, "严肃处理": 2,
        "要求退": 2, "要求换": 2, "要求赔": 2, "要求全额": 2, "要求升级": 2, "要求厂家": 1.5,
        "退还": 1.5, "骗我": 2, "弄坏": 1.5, "刮花": 1, "多收": 1.5, "隐瞒": 2, "虚假": 2,
        "不合理": 2, "合理解释": 2, "远超": 1.5, "贵一倍": 2, "出尔反尔": 2.5, "本来就有": 1.5,
        "打不通": 2, "别发了": 2, "找你们领导": 2, "告你们": 2.5, "太脏": 1.5, "不管": 1,
        "lied": 2.5, "deposit back": 1.5,
        "complain": 3, "complaint": 3, "terrible": 2, "unacceptable": 2, "refund": 2,
        "lawyer": 2.5, "disappointed": 1.5, "worst": 2,
    },
    "repair": {
        "维修": 2, "修理": 2, "检查": 1.5, "检修": 2, "异响": 2, "抖": 1.5, "故障": 2,
        "坏了": 2, "漏油": 2, "漏水": 2, "故障灯": 2.5, "报警": 1, "失灵": 2, "关不上": 2,
        "打不开": 1.5, "噪音": 1.5, "更换": 1, "预约维修": 3, "修": 1, "不工作": 1.5,
        "亮灯": 1.5, "要修吗": 2.5, "能修吗": 2.5, "需要修": 2, "能补吗": 2, "扎了": 1.5,
        "没反应": 1.5, "连不上": 1.5, "预约一下": 1, "异味": 1.5, "焦糊味": 2, "灯亮了": 1.5,
        "顺便看看": 1.5, "换玻璃": 2, "开到店": 1.5,
        "repair": 2.5, "fix": 2, "noise": 1.5, "broken": 2, "check": 1,
        "warning light": 2.5, "leak": 2,
    },
    "inquiry": {
        "请问": 2, "咨询": 2, "吗": 1, "多少钱": 2, "价格": 1.5, "优惠": 1.5, "怎么": 1,
        "如何": 1, "是否": 1, "能不能": 1, "可以": 0.5, "营业时间": 2.5, "几点": 1.5,
        "哪里": 1, "什么时候": 1, "有没有": 1, "想了解": 2, "?": 1, "？": 1,
        "几年": 1.5, "修好了没有": 2.5, "什么时候能取": 2.5, "多久": 1.5, "流程": 1.5,
        "投诉电话": 3, "拖车钩": 3, "问一下": 2, "问问": 1.5, "想问": 2, "建议": 2,
        "预约保养": 2.5, "保养到期": 2, "进度": 1.5, "多长时间": 1.5, "怎么样了": 2,
        "理赔流程": 2.5,
        "how": 1, "what": 1, "when": 1, "price": 1.5, "question": 2, "could you": 1,
    },
}

# Rescue words about something over or about the service itself: the car is
# already at the dealer, it happened once before, help is no longer needed,
# the message asks what roadside assistance costs. Settled beats everything;
# past time words lose to present ones ("昨天就停在这里，现在还在等").
RESCUE_SETTLED = ("已经在店里", "拖回店里", "拖到店里了", "已拖回", "已经拖回", "已经拖到",
                  "过一次", "出现过", "事故后", "理赔", "赔偿", "拖车钩", "差点", "还能开",
                  "不用派", "不用来", "已经好了", "救援电话", "救援是免费", "救援怎么收费",
                  "救援收费", "救援覆盖", "不需要了", "自己好了", "上次救援", "拖走了",
                  "拖回来了", "拖回去了", "不用再派", "拖车已经到", "拖车到了", "救援已经到",
                  "救援到了")
RESCUE_PAST = ("上周", "上个礼拜", "上次", "之前", "昨天", "上个月", "去年", "last week",
               "last time", "yesterday")
RESCUE_NOW = ("现在", "正在", "还在", "刚才", "刚刚", "目前", "困", "急", "马上", "派",
              "now", "stranded", "need")
# "Until now" tells how long a case has waited, not where the car is: "到现在车还在拖车场".
UNTIL_NOW = ("直到现在", "到现在", "until now")
# A car stopped on a road now ("现在停在路边了"): with a safety matter it cannot be
# driven safely where it is, GUIDE.md's rescue, even when the customer asks whether
# it can go on ("还能开吗").
STOPPED_AT = ("停在", "停到", "停靠在", "靠边停在")
STOPPED_PLACES = ("路边", "应急车道", "路肩", "服务区", "高速", "隧道", "桥上", "半路", "马路",
                  "辅路", "国道", "省道", "山路", "路上", "快速路", "高架", "收费站")
STOPPED_PHRASES = ("靠边了", "靠边停了", "停路边了", "pulled over", "hard shoulder",
                   "on the shoulder")
# Fire is about the present even when hedged or asked ("好像哪里烧着了",
# "is that smoke?"): only a breakdown told in the past or settled is not.
RESCUE_FIRE = ("着火", "烧着", "烧起来", "起火", "冒烟", "自燃", "冒火", "on fire", "smoke")

# Category vocabulary (tests/data/corpus/GUIDE.md); hub.routers.category decides the order.
CATEGORY_PHRASES: dict[str, tuple[str, ...]] = {
    "repair_quality": ("修不好", "没修好", "没有修好", "返修", "又坏", "修完", "修好后", "维修后",
                       "保养后", "保养之后", "保养完", "刚换完", "换完", "维修的时候", "维修期间",
                       "保养的时候", "做的保养", "做的钣金", "做的喷漆", "你们修", "修车把",
                       "第三次", "第四次", "第五次", "多次维修", "修了三次", "修了好几次",
                       "still not fixed", "after the repair", "in your workshop", "came back"),
    "parts": ("配件", "等件", "缺件", "没货", "原厂件", "非原厂", "副厂", "拆车件", "parts"),
    "sales": ("销售", "交车", "提车", "交付", "合同", "定金", "订金", "价格", "优惠", "金融",
              "贷款", "首付", "购车", "买车", "新车", "试驾", "置换", "增换购", "上牌", "选号",
              "车型", "几座", "座的", "推荐", "活动", "奖励", "装潢", "精品", "脚垫", "加价",
              "安全评级", "碰撞测试", "sales", "delivery", "dealer sold", "price"),
    "warranty": ("保修", "质保", "三包", "延保", "保固", "warranty"),
    "charging": ("充电", "充不进", "续航", "电池包", "动力电池", "高压电池", "电池衰减",
                 "电池温度", "电池过热", "电量", "放电", "充电桩", "charging", "range"),
    "service": ("态度", "服务", "顾问", "客服", "接待", "电话", "回电", "没人", "等了", "预约",
                "保养", "营业", "下班", "上班", "几点", "进度", "修好", "取车", "发票", "工单",
                "师傅", "技师", "救援", "休息区", "代步车", "监控", "service", "staff"),
}
# A repair or rescue caused from outside the car, or by its driver: not a product fault.
OUTSIDE_CAUSES = ("事故", "撞", "追尾", "车祸", "被人", "被石头", "被砸", "被偷", "划了", "泡水",
                  "积水", "没油", "加错油", "钥匙", "陷", "掉进", "掉沟", "沟里", "卡在", "卡住了",
                  "升降杆", "道闸", "12v", "电瓶", "没电了", "搭电", "海拔", "爆胎", "扎了",
                  "accident", "crash", "out of fuel", "flat battery", "keys", "snow")

FLAG_PHRASES: dict[str, tuple[str, ...]] = {
    # Safety-critical systems, loss of power or control, fire, people at risk,
    # the car itself telling the driver to stop. English phrases match whole words.
    "safety": ("刹车", "制动", "手刹", "驻车", "abs", "esp", "方向盘", "转向", "气囊", "自燃",
               "着火", "起火", "火星", "冒火", "冒烟", "白烟", "有烟", "烧焦", "蒸汽", "开锅",
               "过热", "蒸气", "水温很高", "水温过高", "水温高", "热失控", "鼓包", "温度过高",
               "高压系统", "绝缘故障", "失控", "断轴", "半轴", "爆胎", "胎爆", "轮胎爆", "轮子歪",
               "轮胎掉", "车轮脱落", "轮毂螺丝", "螺丝松", "事故", "车祸", "撞", "侧翻", "翻车",
               "刹不住", "追尾", "危险", "安全隐患", "吓人", "害怕", "儿童锁", "安全带", "安全座椅",
               "跑偏", "有点偏", "往左跑", "往右跑", "动力中断", "失去动力", "没动力",
               "一点劲都没有", "突然断电", "急刹", "乱刹", "自行加速", "油门", "车道保持",
               "车门自己开", "被困", "困在车里", "锁在车里", "被锁在", "孩子还在车上", "涉水",
               "积水里", "水到车门", "往车里灌", "视线", "悬空", "沟里", "隧道", "铁路", "受伤",
               "晕", "应急车道", "不敢驾驶", "不敢开", "不敢动", "请立即停车", "请勿驾驶",
               "安全停车", "尽快停车", "请停车", "突然减速", "自己减速",
               # Classic defect words of recall and complaint practice: surging, stalling
               # while driving, exploding glass, broken suspension, leaking current or fuel.
               "窜车", "暴冲", "失速", "行驶中熄火", "行驶熄火", "自爆", "炸裂", "摆臂", "球头",
               "断裂", "漏电", "触电", "燃油泄漏", "汽油味", "油箱漏", "尾气倒灌", "一氧化碳",
               "溜车", "溜坡", "侧滑", "aeb", "开始减速", "突然没劲", "就没劲了", "没劲开不动",
               "没劲 开不动", "不敢再开", "不敢再往前", "不敢往前开", "差点撞", "差点出事", "险些",
               "影响驾驶", "行车安全", "辅助驾驶", "驾驶辅助", "自动驾驶", "智驾", "雾灯", "除雾",
               "孩子也在车", "孩子在车", "孩子被锁", "brake", "braking", "airbag", "steering",
               "fire", "accident", "lane keeping", "crash", "injured", "ditch", "railway crossing",
               "smoke", "brakes", "airbags", "seat belt", "seatbelt", "on fire", "burning",
               "collision", "blowout", "lost power", "loss of power", "lost control", "stop safely",
               "stop immediately", "tunnel", "stalled", "engine died", "brake failure",
               "unintended acceleration", "sudden acceleration", "rolled back", "skid", "fuel leak",
               "gas smell", "high-voltage", "high voltage",
               "braked",
               # GUIDE.md's safety list gone through item by item for the wordings
               # no round had used yet: steering gone heavy, driver assistance
               # braking or steering by itself, limp mode, not seeing the road,
               # a wheel working loose, a burning smell, glass bursting, a near miss.
               "方向很重", "方向变重", "方向变得很重", "方向沉", "方向发飘", "方向打不动",
               "方向失灵", "转向助力", "助力没了", "失去助力", "安全气囊", "预紧器", "isofix",
               "自动刹车", "自动紧急制动", "车道居中", "幽灵刹车", "误刹", "跛行", "限功率",
               "功率受限", "动力受限", "乌龟灯", "看不清", "看不见路", "看不到路", "玻璃起雾",
               "前挡起雾", "轮子在晃", "轮子晃", "车轮晃", "轮子掉", "轮胎鼓包", "烧糊", "糊味",
               "焦味", "火苗", "明火", "发生刮擦", "刮擦事故", "流血", "停车检查", "差点碰",
               "差一点撞", "差点刮", "吓死", "好险", "电池冒烟", "自己碎", "突然碎", "掉到零",
               "掉到0", "夹手", "夹到手", "小孩在车", "宝宝在车", "老人在车", "child lock", "srs",
               "phantom braking", "lane centering", "lane centring", "adaptive cruise", "autopilot",
               "limp mode", "reduced power", "power reduced", "can't see", "couldn't see",
               "visibility", "fogged up", "demist", "lights went out", "lights failed", "cut out",
               "melted", "bleeding", "trapped", "hurt", "stop the vehicle", "crashed", "collided",
               "rear-ended", "rear ended", "dangerous", "unsafe", "terrifying", "near miss",
               "nearly hit", "almost hit", "shatter", "shattered", "spontaneously", "baby", "不适",
               "身体不舒服", "呼吸困难", "高反", "unwell", "绝缘", "大灯闪", "大灯一闪",
               "大灯忽明忽暗", "大灯灭", "仪表全黑", "仪表黑屏", "仪表黑了", "座椅往后滑",
               "座椅滑动", "座椅锁不住", "吓我一跳", "吓了一跳",
               "lane assist", "lane-keeping", "went dark", "went black", "动力电池故障",
               "电池包故障", "高压电池", "爆炸", "一声巨响", "砰的一声", "loud bang",
               "explosion", "exploded", "人在里面", "人在车里", "人还在车里", "人还在里面",
               "困在里面", "restraint",
               # GUIDE.md: an engine dying or surging while driving, told now or before
               "自己熄火", "路上熄火", "高速上熄火", "高速熄火", "涉水熄火", "熄火过", "就熄火",
               "误加速", "突然加速", "自己加速", "烧着", "烧起来"),
    "media": ("曝光", "媒体", "记者", "微博", "抖音", "小红书", "懂车帝", "车质网", "汽车之家",
              "黑猫", "b站", "论坛", "热搜", "直播", "播放", "朋友圈", "微信群", "车友群",
              "社交平台", "上新闻", "新闻热线", "新闻媒体", "找新闻", "315晚会", "网上发",
              "发到网上", "电视台", "media", "journalist", "press", "weibo", "go public", "发视频",
              "快手", "头条", "自媒体",
              "视频号", "曝光台", "social media", "tiktok", "douyin", "youtube", "reporter",
              "newspaper", "broadcast", "报社", "tv programme", "tv program", "tv station"),
    "legal": ("律师", "起诉", "法院", "法庭", "诉讼", "打官司", "法律途径", "法律手段", "法律程序",
              "法律责任", "司法", "仲裁", "传票", "公安", "报案", "lawyer", "legal counsel",
              "legal action", "attorney", "solicitor",
              "sue", "court", "诉诸法律", "依法维权", "走法律", "法律维权", "法律顾问", "法务",
              "就报警", "我要报警", "报警处理", "call the police"),
    "regulator": ("12315", "12345", "消协", "消委会", "消费者委员会", "消费者协会",
                  "消费者权益保护", "消保委", "市场监管", "市场监督", "监督管理局", "工商局",
                  "质监", "缺陷产品", "交通运输局", "交通管理部门", "市长热线", "信访",
                  "consumer association", "consumer protection", "regulator", "12365",
                  "工信部", "质量监督", "政府部门"),
}

# Phrases that contain a flag word without meaning it: 打不着火 is no fire, a
# heated steering wheel is comfort, an "accident car" is a sales dispute, a gauge
# reading 偏高 is not a car pulling to one side (有点偏).
FLAG_FALSE_FRIENDS = ("打不着火", "着不了火", "打不着", "方向盘加热", "steering wheel heating",
                      "转向灯", "事故车", "事故维修", "事故后", "损害消费者权益", "碰撞测试",
                      "请踩刹车", "碰撞后", "偏高", "偏低")

OPT_OUT_REPLIES = frozenset({"td", "t", "n", "退订", "stop", "unsubscribe", "取消订阅"})
OPT_OUT_PREFIXES = ("退订", "td", "取消订阅", "unsubscribe", "stop ")
OPT_OUT_MAX_CHARS = 12  # "退订保养提醒" is a reply; a sentence that mentions 退订 is not

# The 400 line's IVR menu (contract §3.1) and the web form's dropdown: hints only.
IVR_HINTS = {"1": "inquiry", "2": "repair", "3": "rescue", "4": "complaint"}
TOPIC_HINTS = {"complaint": "complaint", "inquiry": "inquiry", "repair": "repair",
               "rescue": "rescue"}
