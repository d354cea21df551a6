"""Category after type: the same words file differently in a repair request
and in a complaint. Accuracy on the labelled rounds is measured by `hub eval`."""

import pytest

from hub.routers.category import category_for


@pytest.mark.parametrize("text, type_, expected", [
    # repair requests and rescues: the car's fault unless the cause is outside it
    ("刹车片刚换完就响 想约检查", "repair", "product_quality"),
    ("充电口盖打不开 没法充电", "repair", "charging"),
    ("车被人划了一圈 想修一下", "repair", "other"),
    ("高速上熄火了 动不了", "rescue", "product_quality"),
    ("加错油了 加了柴油", "rescue", "other"),
    ("车在桥上追尾了", "rescue", "other"),
    # complaints: the workshop's work first, then parts, buying, cover, people
    ("刹车片刚换完就响 你们怎么修的", "complaint", "repair_quality"),
    ("等配件等了四十天了", "complaint", "parts"),
    ("销售答应送的装潢没兑现", "complaint", "sales"),
    ("电池终身质保 现在要我自费", "complaint", "warranty"),
    ("冬天续航掉一半 被骗了", "complaint", "charging"),
    ("客服态度太差", "complaint", "service"),
    ("这车质量太差 毛病十几个", "complaint", "product_quality"),
    # questions
    ("买车可以用公积金贷款吗", "inquiry", "sales"),
    ("延保怎么买", "inquiry", "warranty"),
    ("你们店几点下班", "inquiry", "service"),
    ("明天限行吗", "inquiry", "other"),
])
def test_category(text, type_, expected):
    assert category_for(text, type_) == expected


def test_a_warranty_mention_does_not_make_a_repair_request_a_warranty_case():
    assert category_for("车载冰箱不制冷了 仍在保修期内", "repair") == "product_quality"
    assert category_for("车载冰箱不制冷了 保修期内为什么不给修", "complaint") == "warranty"
