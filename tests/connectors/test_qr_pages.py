"""The QR pages' language: Accept-Language to page language, and the form's errors
in that language (never the API's English)."""

from __future__ import annotations

import pytest

from hub.connectors.qr_pages import TEXTS, error_page, form_page, language
from hub.errors import InvalidPayload, InvalidSignature, RateLimited
from hub.normalizers.common import validate
from hub.normalizers.qr import QrForm


@pytest.mark.parametrize("header, lang", [
    (None, "zh-CN"), ("", "zh-CN"), ("zh-CN,zh;q=0.9", "zh-CN"), ("zh", "zh-CN"),
    ("zh-SG", "zh-CN"), ("zh-Hans-HK", "zh-CN"), ("zh-TW", "zh-Hant"),
    ("zh-HK,en;q=0.5", "zh-Hant"),
    ("zh-Hant", "zh-Hant"), ("zh-MO", "zh-Hant"), ("en-US,en;q=0.9", "en"), ("EN", "en"),
    ("ja-JP,en;q=0.8,zh-CN;q=0.9", "zh-CN"), ("ja-JP,en;q=0.8", "en"), ("fr, de", "zh-CN"),
    ("en;q=0, zh-TW;q=0.1", "zh-Hant"), ("en;q=bad, *", "zh-CN"),
])
def test_the_page_language_follows_accept_language(header, lang):
    assert language(header) == lang


def test_every_language_has_every_text():
    keys = set(TEXTS["zh-CN"])
    assert all(set(texts) == keys for texts in TEXTS.values())


def _over_long_name() -> InvalidPayload:
    with pytest.raises(InvalidPayload) as err:
        validate(QrForm, {"token": "t", "phone": "13900005555", "name": "王" * 61, "text": "x",
                          "claims": {}})
    return err.value


@pytest.mark.parametrize("lang, words", [
    ("zh-CN", "称呼最多 60 个字，请删减后再提交。"),
    ("zh-Hant", "稱呼最多 60 個字，請刪減後再送出。"),
    ("en", "Name can be at most 60 characters; please shorten it."),
])
def test_an_over_long_name_is_explained_in_the_page_language(lang, words):
    page = error_page(_over_long_name(), lang)
    assert f'<html lang="{lang}">' in page and words in page
    assert "String should have" not in page  # pydantic's English stays in the API


@pytest.mark.parametrize("error, zh, hant, en", [
    (InvalidSignature("x"), "二维码无效", "QR 碼無效", "Invalid QR code"),
    (RateLimited("x"), "提交次数过多", "送出次數過多", "Too many submissions"),
    (InvalidPayload("phone is not a valid number",
                    detail={"errors": [{"loc": ("phone",), "type": "phone_invalid"}]}),
     "请填写正确的手机号。", "請填寫正確的手機號碼。", "Please enter a valid mobile number."),
    (InvalidPayload("body is not valid JSON"), "填写的内容无法提交", "填寫的內容無法送出",
     "The form could not be sent"),
])
def test_other_errors_in_each_language(error, zh, hant, en):
    for lang, words in (("zh-CN", zh), ("zh-Hant", hant), ("en", en)):
        assert words in error_page(error, lang)


def test_the_form_in_traditional_chinese_and_english():
    assert "聯絡我們" in form_page("t", "s", "D1", "/v1/channels/qr", "zh-Hant")
    page = form_page("t", "s", "D1", "/v1/channels/qr", "en")
    assert "Contact us" in page and "(service point D1)" in page and "联系" not in page
