"""Chinese labels with the contract's English names in parentheses: the
center's staff read Chinese, the codes are what the other systems use."""

from __future__ import annotations

NAMES = {
    # channels
    "wechat": "微信", "sms": "短信", "email": "邮件", "hotline": "热线", "web": "网站",
    "telematics": "车联网", "qr": "扫码",
    # types
    "complaint": "投诉", "inquiry": "咨询", "repair": "报修", "rescue": "救援",
    # tiers
    "vip": "贵宾", "fleet": "车队", "ordinary": "普通",
    # categories
    "product_quality": "产品质量", "service": "服务", "sales": "销售", "parts": "配件",
    "repair_quality": "维修质量", "warranty": "保修", "charging": "充电", "other": "其他",
    # escalation reasons
    "first_response_overdue": "首次响应超时", "resolution_overdue": "处理超时",
    "unclosed_5d": "5日未结", "unclosed_10d": "10日未结", "risk_level": "高风险",
    # alert kinds
    "volume_spike": "投诉预警", "batch_complaint": "批量投诉",
}

DIMENSIONS = {
    "day": "日期 (day)", "channel": "渠道 (channel)", "type": "类型 (type)",
    "tier": "客户级别 (tier)", "category": "问题类别 (category)", "dealer": "经销商 (dealer)",
    "queue": "队列 (queue)",
}


def name(code: str) -> str:
    """``投诉 (complaint)`` for a known code, the code itself otherwise."""
    chinese = NAMES.get(code)
    return f"{chinese} ({code})" if chinese else code
