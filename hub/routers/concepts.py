"""What a customer's words are about, as concepts a service agent would name:
the car cannot move, the customer is on a road, something is burning, the
customer is unhappy, wants money back, has had this repaired before, asks a
question. The classifier's model learns how much each concept (and each pair
of concepts) counts for each type; the phrases here are the vocabulary of the
seed documents and of real customers, in simplified Chinese (traditional text
is converted first) and English."""

from __future__ import annotations

# "高速" is a motorway and also high speed: a fault at speed is no stranded car.
# "不急" says the opposite of the "急" inside it.
FALSE_FRIENDS = ("高速行驶", "高速时", "高速风噪", "高速的时候", "开高速", "不急", "不着急",
                 "不紧急", "not urgent", "no rush",
                 # 漏 as missing something, not a leak
                 "漏掉", "遗漏", "漏看", "自己漏了",
                 # an insurance claim, not a demand for compensation (赔)
                 "理赔",
                 # the polite "your company", not "expensive"
                 "贵司", "贵公司", "贵方", "贵店", "贵单位", "贵品牌", "贵厂", "贵集团", "贵处")

# "不是投诉" names a complaint to deny it: the words must not count for one.
NOT_COMPLAINT = ("不是投诉", "不投诉", "不是要投诉", "没有投诉", "不算投诉", "not a complaint")

CONCEPTS: dict[str, tuple[str, ...]] = {
    # The car cannot be driven, or the customer cannot get out or in.
    "immobile": (
        "拆不下来", "卡进", "底盘卡住", "进退都不行", "进退不得", "不让进", "陷住", "陷进",
        "挂不了挡", "flat tyre", "flat tire", "no spare", "send someone", "按了没反应", "未检测到",
        "锁不上", "动不了", "开不了", "走不了", "开不动", "打不着", "着不了", "启动不了",
        "无法启动", "不能启动", "不能开", "熄火", "死火", "抛锚", "趴窝", "坏在", "没电了",
        "完全没电", "亏电", "没油了", "断电", "失去动力", "没动力", "动力中断", "动力受限",
        "挂不上挡", "无法挂挡", "推不动", "挪不动", "推不进", "锁死", "出不来", "陷在", "悬空",
        "不敢开", "不敢动", "不敢再开", "请立即停车", "锁在车里", "锁车里", "被困", "困在",
        "拔不下来", "无法再次启动", "lost power", "loss of power", "no power", "flat battery",
        "can't drive", "cannot drive", "locked out", "trapped", "开始减速", "突然减速", "没法开",
        "开不走", "won't start", "won't move", "will not move", "broke down", "broken down",
        "car died", "ran out", "dead battery", "stuck",
    ),
    # Where a stranded car is: roads, not the dealer's workshop.
    "on_road": (
        "高速", "国道", "省道", "路上", "路边", "半路", "应急车道", "服务区", "隧道", "桥上",
        "大桥", "高架", "路口", "收费站", "出口", "山路", "山上", "郊区", "车库", "地库", "停车场",
        "加油站", "景区", "积水", "环线", "马路", "路段", "十字路口", "小区门口", "海拔", "[位置]",
        "村道", "乡道", "县道", "主路", "辅路", "匝道", "路肩", "小区里", "小区内", "施工路段",
        "hard shoulder", "car park", "tunnel", "bridge", "road", "highway", "expressway",
        "motorway", "exit", "garage", "parking", "near ",
    ),
    "help_now": (
        "求救", "弄走", "出个人", "来个人", "就医", "推进去", "拖进去", "找人", "救援", "拖车",
        "拖走", "要拖", "求助", "救命", "派人", "派车", "派个", "来人", "速来", "快来", "赶紧",
        "马上", "尽快安排", "支援", "吊车", "搭电", "送油", "紧急", "119", "120", "救护车", "交警",
        "消防", "怎么办", "点算", "换备胎", "上门换胎", "jump start", "jump-start", "tow truck",
        "recovery", "send someone", "come and", "help", "urgent", "asap", "tow", "towing",
        "roadside", "assistance",
    ),
    "danger": (
        # Theft and a smashed window endanger nobody: "被偷", "被砸" are not here.
        "侧翻", "翻了", "夹住", "冒火", "着火", "起火", "火星", "冒烟", "冒白烟",
        "自燃", "焦糊", "撞", "追尾", "事故", "车祸", "翻车", "气囊弹", "受伤", "晕", "涉水",
        "水到车门", "被困", "害怕", "危险", "灭火", "烧糊", "焦味", "差点", "吓死", "好险",
        "烧着", "烧起来", "on fire", "burning", "rolled over", "overturn", "collision", "fire",
        "smoke", "crash", "accident", "injured", "dangerous", "unsafe", "terrifying", "scary",
    ),
    # Systems whose failure can hurt someone: what makes a fault a safety matter.
    "safety_system": (
        "刹车", "制动", "手刹", "方向盘", "转向", "助力", "气囊", "安全带", "轮胎", "车轮", "轮毂",
        "大灯", "雾灯", "雨刮", "雨刷", "近光", "远光", "车灯", "除雾", "油门", "加速踏板", "车门",
        "门锁", "儿童锁", "电池", "高压", "电机", "变速箱", "挡", "悬挂", "底盘", "辅助驾驶",
        "自动驾驶", "巡航", "车道", "座椅滑", "brake", "steering", "airbag", "seat belt", "tyre",
        "tire", "wheel", "headlight", "wiper", "accelerat", "battery", "door",
    ),
    # The fault shows while the car is moving, not parked at home.
    "while_driving": (
        "行驶中", "行驶时", "行驶过程", "开着开着", "开车的时候", "开车时", "行车时", "行车中",
        "正在开", "跑着跑着", "车速", "时速", "高速上", "路上", "过弯", "转弯", "下坡", "急加速",
        "while driving", "at speed", "on the motorway", "on the highway", "when driving",
    ),
    "now": (
        "现在", "正在", "刚才", "刚刚", "目前", "停在", "停靠", "在等", "人在", "还在", "大半夜",
        "已经靠边", "已经停", "已报", "now", "currently", "right now",
    ),
    # The car is no longer stranded: at the dealer, at home, fixed, help called off.
    "settled": (
        "已经在店", "在店里了", "停在店", "到店了", "在家里", "已修复", "修复了", "已经好了",
        "自己好了", "不需要了", "不用派", "不用再派", "拖车到了", "救援到了", "不用来", "已拖回",
        "拖回店", "拖到店", "还能开", "能正常行驶", "正常行驶", "still drivable", "can still drive",
        "开着没什么感觉", "没什么感觉", "开着也正常", "开着正常", "开起来正常", "drives fine",
        "drives normally", "seems fine",
    ),
    # Asked in advance or in general, not happening now: "万一在高速上抛锚了你们多久能到".
    "hypothetical": (
        "万一", "如果", "假如", "假设", "一般怎么", "提前了解", "以后遇到", "遇到这种情况",
        "现在没事", "in case", "what happens if", "what should i do if", "in general",
    ),
    "past": (
        "出现过", "已拖回", "拖回店", "已经拖到", "拖回来了", "拖回去了", "拖走了", "拖到店里了",
        "上周", "上个礼拜", "上礼拜", "上次", "之前", "昨天", "上个月", "那次", "去年", "以前",
        "曾经", "当时", "发生过", "过一次", "last week", "last time", "yesterday", "last month",
    ),
    "fault": (
        "故障", "异响", "响", "抖", "漏", "坏", "失灵", "不工作", "没反应", "不亮", "亮了",
        "灯亮", "报警", "提示", "异味", "不制冷", "不热", "黑屏", "卡", "顿挫", "松", "裂",
        "进水", "水汽", "霉味", "缺气", "不灵", "打不开", "关不上", "关不严", "不了", "偏高",
        "跑偏", "冒黑烟", "变形", "鼓包", "不能用", "用不了", "连不上", "失败", "noise", "fault",
        "warning", "leak", "broken", "not working", "error", "vibrat", "beeps",
    ),
    "service_request": (
        "预约", "约一下", "约个", "安排", "检查", "检修", "检测", "维修", "修一下", "修理",
        "看一下", "看看", "处理一下", "更换", "换", "补", "上门", "复检", "能修", "要修", "修",
        "调一下", "帮我看", "帮忙看", "顺便看", "顺便检查", "bring it in", "take a look", "slot",
        "service centre", "service center", "workshop", "recalibrat", "replace", "book",
        "appointment", "schedule", "inspect", "fix", "repair", "check",
    ),
    "dissatisfied": (
        "耍人", "推迟", "摆设", "有什么意义", "这么难", "谁开", "抽烟", "没有人接待", "生气",
        "没同意", "不回应", "出来回应", "火大", "这不是", "这就是你们", "该有的样子", "修了个什么",
        "你们到底", "怎么搞的", "投诉", "不满", "失望", "太差", "很差", "差劲", "恶心", "恶劣",
        "糟糕", "受不了", "忍不了", "烦", "气死", "垃圾", "离谱", "过分", "差评", "被坑", "坑人",
        "坑钱", "坑我", "坑过", "太坑", "骗", "欺诈", "忽悠", "敷衍", "推诿", "踢皮球", "推脱",
        "没下文", "没人管", "没人理", "没人接", "不承认", "不认", "不管", "凭什么", "什么道理",
        "到底", "太次", "一问三不知", "挂我电话", "宰客", "虚假", "虚标", "货不对板", "没诚信",
        "不同意", "不接受", "不认可", "难听", "态度", "白跑", "有什么用", "不归", "事故车", "翻新",
        "拆车件", "色差", "弄丢", "划", "刮花", "弄坏", "打坏", "洗花", "多收", "捆绑", "强制",
        "强迫", "不给", "未兑现", "没兑现", "不敢承认", "一直说正常", "都说正常", "服务差",
        "质量差", "体验差", "真差", "好差", "烂", "rude", "overcharg", "charged me twice",
        "ridiculous", "fed up", "angry", "furious", "waste", "complain", "unhappy", "disappointed",
        "terrible", "unacceptable", "worst", "lied", "refused",
    ),
    # Blame put into a question or a jibe: "你们换的是翻新的吧", "这合理吗", "人呢".
    "accusation": (
        "翻新", "杂牌", "不是原厂", "拿我当", "当试验品", "说不过去", "合理吗", "不合理",
        "还敢说", "就不能", "人呢", "烂", "受够", "不信", "只肯", "拒绝", "谁负责", "什么意思",
        "凭什么", "你们是不是", "是不是要等", "吧？", "吗？", "更大了", "更严重", "才发现",
        "一样", "结果呢", "refuse", "unacceptable", "nobody",
    ),
    # The fault came with, or after, the workshop's work: what turns a fault into a grievance.
    "after_service": (
        "修完", "修好后", "修好以后", "修了以后", "维修后", "维修完", "保养后", "保养完", "做完",
        "取车", "出店", "刚修", "换完", "换了以后", "拖车的时候", "修车的水平", "技师",
        "after the repair", "after the service", "since the service",
    ),
    "demand": (
        "要求", "退车", "换车", "退款", "退钱", "退还", "退给我", "退定金", "赔偿", "补偿", "报销",
        "说法", "交代", "解释", "负责", "必须", "介入", "召回", "领导", "总部", "双倍", "赔",
        "refund", "compensation", "replacement", "money back", "expect",
    ),
    "repeated": (
        "又", "再次", "还是", "依旧", "依然", "仍", "反复", "多次", "好几次", "几次", "两次",
        "三次", "四次", "五次", "七八次", "第二次", "第三次", "三回", "未果", "修不好", "没修好",
        "没好", "again", "still", "keeps", "repeated", "third time", "twice",
    ),
    "threat": (
        "曝光", "媒体", "记者", "律师", "起诉", "法院", "法庭", "12315", "12345", "消协", "消费者",
        "热搜", "抖音", "微博", "小红书", "懂车帝", "车质网", "黑猫", "仲裁", "举报", "监管",
        "热线", "315", "法律", "传票", "直播", "朋友圈", "质监", "国家缺陷", "lawyer", "press",
        "media", "court", "legal", "weibo",
    ),
    "delay": (
        "等了", "拖了", "一个多月", "半个月", "至今", "到现在", "还没", "迟迟", "延期", "没到",
        "没交", "三天了", "超过", "等配件", "一直", "weeks", "still not",
    ),
    "question": (
        "怎么回事", "吗", "请问", "？", "?", "怎么", "如何", "多少", "什么时候", "几点", "哪里",
        "是否", "能不能", "可不可以", "有没有", "是不是", "想问", "问一下", "问问", "咨询", "了解",
        "多久", "几年", "呢", "要不要", "还能", "could i", "can you", "is there", "are there",
        "do i", "should i", "how ", "what ", "when ", "where ", "whether", "could you", "can i",
        "is it", "do you", "i'd like to know", "tell me",
    ),
    "information": (
        "价格", "优惠", "补贴", "贷款", "首付", "利率", "保险", "续保", "营业", "上市", "配置",
        "试驾", "发票", "积分", "过户", "牌照", "政策", "流程", "质保", "保修", "保固", "三包期",
        "覆盖", "进度", "到哪一步", "结果", "修好了", "能取", "电话", "手册", "收费", "免费",
        "多少钱", "款", "版本", "发货", "现车", "有货", "关门", "price", "policy", "capacity",
        "free of charge",
    ),
    # Thanks and praise ("满意" alone is in "不满意").
    "thanks": (
        "建议", "反馈", "提个", "仔细", "及时", "点赞", "好评", "给力", "辛苦了", "great job",
        "well done", "appreciate", "谢谢", "感谢", "收到", "好的", "很满意", "非常满意", "挺满意",
        "表扬", "点个赞", "五星", "很专业", "非常专业", "服务很好", "态度很好", "很热情", "很耐心",
        "态度非常好", "态度特别好", "态度好", "态度不错", "态度挺好", "耐心帮", "非常耐心",
        "已经解决", "不需要", "很及时", "哈哈", "ok", "thanks", "thank you",
    ),
    "not_complaint": (
        *NOT_COMPLAINT, "按错",
    ),
    # Something promised and not delivered: the commonest root of sales complaints.
    "broken_promise": (
        "说好的", "说好", "答应", "承诺", "当初说", "销售说", "宣传", "合同上", "合同约定",
        "配置表", "写着", "promised", "advertised",
    ),
    "money": (
        "定金", "订金", "落地价", "服务费", "手续费", "多收", "收我钱", "自费", "钱", "元",
        "块", "报价", "贵", "工时费", "yuan", "charged",
    ),
    "routine_care": (
        "保养", "首保", "洗车", "清洗", "机油", "轮胎", "刹车片", "玻璃水", "maintenance",
    ),
}
