"""The pages a customer sees after scanning a QR code: mobile-first,
accessible (labels, lang, focus styles, 48-px targets), no external assets.

In simplified Chinese unless the browser asks otherwise (Accept-Language):
traditional Chinese for zh-TW, zh-HK, zh-MO and zh-Hant, English for en. The
form's errors follow the page; the JSON API keeps the contract's English."""

from __future__ import annotations

from html import escape

from hub.errors import HubError

LANGUAGES = ("zh-CN", "zh-Hant", "en")
_HANT_REGIONS = {"tw", "hk", "mo"}

_STYLE = """
*{box-sizing:border-box}body{margin:0;font:17px/1.6 -apple-system,"PingFang SC",
"Microsoft YaHei","Noto Sans CJK SC","PingFang TC","Microsoft JhengHei","Noto Sans CJK TC",
sans-serif;color:#1a1a1a;background:#f4f5f7}
main{max-width:480px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:22px;margin:8px 0 4px}p.lead{margin:0 0 18px;color:#444}
form{background:#fff;border-radius:12px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
label{display:block;font-weight:600;margin:14px 0 6px}
.hint{font-weight:400;color:#555;font-size:15px}
input,textarea{width:100%;font:inherit;padding:12px;border:1px solid #8a8f98;border-radius:8px;
min-height:48px;background:#fff;color:#1a1a1a}
textarea{min-height:140px;resize:vertical}
input:focus,textarea:focus,button:focus{outline:3px solid #1b5fd1;outline-offset:2px}
button{width:100%;min-height:52px;margin-top:20px;border:0;border-radius:10px;
background:#1b5fd1;color:#fff;font:inherit;font-weight:700}
.box{background:#fff;border-radius:12px;padding:20px 16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.ref{font:700 24px/1.3 ui-monospace,Menlo,monospace;letter-spacing:2px;color:#0b3d91}
.err{border-left:6px solid #b3261e}
"""



# One table per language; {placeholders} are filled in and escaped by the pages.
TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "contact": "联系我们", "where": "（服务网点 {dealer}）",
        "lead": "请告诉我们发生了什么{where}，客服会尽快与您联系。",
        "phone": "手机号", "phone_hint": "（必填，用于回电）", "name": "称呼",
        "text": "发生了什么", "photo": "照片", "required": "（必填）", "optional": "（选填）",
        "submit": "提交", "done_title": "已收到", "done": "已收到您的反馈",
        "your_ref": "您的案件编号：",
        "keep_ref": "请保存此编号，客服会尽快与您联系。如遇紧急情况（事故、车辆无法行驶），"
                    "请直接拨打 400 热线。",
        "rescan": "请重新扫描车辆或服务网点上的二维码，或直接拨打 400 热线。",
        "back": "返回修改", "invalid_signature": "二维码无效",
        "invalid_signature_msg": "这个二维码无法识别，可能已被改动。",
        "stale_timestamp": "二维码已过期", "stale_timestamp_msg": "这个二维码已过期。",
        "rate_limited": "提交过于频繁", "rate_limited_msg": "提交次数过多，请几分钟后再试。",
        "invalid_payload": "请检查填写内容", "other": "暂时无法提交",
        "other_msg": "暂时无法提交，请稍后再试。",
        "too_long": "{field}最多 {max} 个字，请删减后再提交。", "missing": "请填写{field}。",
        "bad_phone": "请填写正确的手机号。", "bad_field": "{field}的内容无法识别，请检查。",
        "bad_form": "填写的内容无法提交，请检查后再试。",
    },
    "zh-Hant": {
        "contact": "聯絡我們", "where": "（服務據點 {dealer}）",
        "lead": "請告訴我們發生了什麼事{where}，客服會盡快與您聯絡。",
        "phone": "手機號碼", "phone_hint": "（必填，用於回電）", "name": "稱呼",
        "text": "發生了什麼事", "photo": "照片", "required": "（必填）", "optional": "（選填）",
        "submit": "送出", "done_title": "已收到", "done": "已收到您的意見",
        "your_ref": "您的案件編號：",
        "keep_ref": "請保存此編號，客服會盡快與您聯絡。如遇緊急情況（事故、車輛無法行駛），"
                    "請直接撥打 400 專線。",
        "rescan": "請重新掃描車輛或服務據點上的 QR 碼，或直接撥打 400 專線。",
        "back": "返回修改", "invalid_signature": "QR 碼無效",
        "invalid_signature_msg": "這個 QR 碼無法辨識，可能已被改動。",
        "stale_timestamp": "QR 碼已過期", "stale_timestamp_msg": "這個 QR 碼已過期。",
        "rate_limited": "送出過於頻繁", "rate_limited_msg": "送出次數過多，請幾分鐘後再試。",
        "invalid_payload": "請檢查填寫內容", "other": "暫時無法送出",
        "other_msg": "暫時無法送出，請稍後再試。",
        "too_long": "{field}最多 {max} 個字，請刪減後再送出。", "missing": "請填寫{field}。",
        "bad_phone": "請填寫正確的手機號碼。", "bad_field": "{field}的內容無法辨識，請檢查。",
        "bad_form": "填寫的內容無法送出，請檢查後再試。",
    },
    "en": {
        "contact": "Contact us", "where": " (service point {dealer})",
        "lead": "Tell us what happened{where}; customer service will call you back soon.",
        "phone": "Mobile number", "phone_hint": "(required, for the call back)", "name": "Name",
        "text": "What happened", "photo": "Photo", "required": "(required)",
        "optional": "(optional)", "submit": "Send", "done_title": "Received",
        "done": "We have received your message", "your_ref": "Your case number:",
        "keep_ref": "Please keep this number; customer service will contact you soon. In an "
                    "emergency (accident, the car cannot be driven) call the 400 hotline.",
        "rescan": "Please scan the code on the vehicle or at the service point again, or call "
                  "the 400 hotline.",
        "back": "Go back and edit", "invalid_signature": "Invalid QR code",
        "invalid_signature_msg": "This QR code cannot be read; it may have been altered.",
        "stale_timestamp": "QR code expired", "stale_timestamp_msg": "This QR code has expired.",
        "rate_limited": "Too many submissions",
        "rate_limited_msg": "Too many submissions; please try again in a few minutes.",
        "invalid_payload": "Please check the form", "other": "Cannot send right now",
        "other_msg": "The form cannot be sent right now; please try again later.",
        "too_long": "{field} can be at most {max} characters; please shorten it.",
        "missing": "Please fill in “{field}”.", "bad_phone": "Please enter a valid mobile number.",
        "bad_field": "{field} could not be read; please check it.",
        "bad_form": "The form could not be sent; please check it and try again.",
    },
}


def language(accept_language: str | None) -> str:
    """The page language for an Accept-Language header: the first tag by weight that
    we have, else simplified Chinese. Three languages and a region rule for
    traditional Chinese do not need a locale library."""
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().lower().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag))
    for _, _, tag in sorted(ranked):
        subtags = tag.split("-")
        if subtags[0] == "zh":  # a script subtag decides; else the region
            hant = "hant" in subtags or ("hans" not in subtags and _HANT_REGIONS & set(subtags))
            return "zh-Hant" if hant else "zh-CN"
        if subtags[0] == "en":
            return "en"
    return "zh-CN"


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def form_page(token: str, submission_id: str, dealer: str | None, action: str,
              lang: str = "zh-CN") -> str:
    t = TEXTS[lang]
    where = t["where"].format(dealer=escape(dealer)) if dealer else ""
    return _page(lang, t["contact"], f"""
<h1>{t["contact"]}</h1>
<p class="lead">{t["lead"].format(where=where)}</p>
<form method="post" action="{escape(action)}" enctype="multipart/form-data">
<input type="hidden" name="token" value="{escape(token)}">
<input type="hidden" name="submission_id" value="{escape(submission_id)}">
<label for="phone">{t["phone"]} <span class="hint">{t["phone_hint"]}</span></label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required
 aria-required="true" maxlength="20">
<label for="name">{t["name"]} <span class="hint">{t["optional"]}</span></label>
<input id="name" name="name" type="text" autocomplete="name" maxlength="40">
<label for="text">{t["text"]} <span class="hint">{t["required"]}</span></label>
<textarea id="text" name="text" required aria-required="true" maxlength="2000"></textarea>
<label for="photo">{t["photo"]} <span class="hint">{t["optional"]}</span></label>
<input id="photo" name="photo" type="file" accept="image/*">
<button type="submit">{t["submit"]}</button>
</form>""")


def done_page(reference: str, lang: str = "zh-CN") -> str:
    t = TEXTS[lang]
    return _page(lang, t["done_title"], f"""
<div class="box" role="status">
<h1>{t["done"]}</h1>
<p>{t["your_ref"]}</p><p class="ref">{escape(reference)}</p>
<p>{t["keep_ref"]}</p>
</div>""")


def error_page(error: HubError, lang: str = "zh-CN") -> str:
    """The page for a refused scan or submission, in the customer's language: never
    the API's English message, which may quote a library."""
    t = TEXTS[lang]
    title = t.get(error.code, t["other"])
    if error.code == "invalid_payload":
        message, retry = _field_message(error, t), f'<p><a href="javascript:history.back()">' \
            f'{t["back"]}</a></p>'
    else:
        message, retry = t.get(f"{error.code}_msg", t["other_msg"]), f"<p>{t['rescan']}</p>"
    return _page(lang, title, f"""
<div class="box err" role="alert">
<h1>{escape(title)}</h1><p>{escape(message)}</p>
{retry}
</div>""")


def _field_message(error: HubError, t: dict[str, str]) -> str:
    # The first problem pydantic (or the normalizer) found, by field and kind.
    errors = error.detail.get("errors") or [{}]
    first = errors[0]
    loc = first.get("loc") or ("",)
    field = str(loc[0])
    kind = first.get("type", "")
    label = t.get(field) if field in ("phone", "name", "text", "photo") else None
    if field == "phone" and kind not in ("missing", "string_too_short"):
        return t["bad_phone"]
    if label is None:
        return t["bad_form"]
    if kind == "string_too_long":
        return t["too_long"].format(field=label, max=(first.get("ctx") or {}).get("max_length"))
    if kind in ("missing", "string_too_short"):
        return t["missing"].format(field=label)
    return t["bad_field"].format(field=label)
