"""The pages a customer sees after scanning a QR code: mobile-first, Chinese,
accessible (labels, lang, focus styles, 48-px targets), no external assets."""

from __future__ import annotations

from html import escape

_STYLE = """
*{box-sizing:border-box}body{margin:0;font:17px/1.6 -apple-system,"PingFang SC",
"Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1a1a1a;background:#f4f5f7}
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


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def form_page(token: str, submission_id: str, dealer: str | None, action: str) -> str:
    where = f"（服务网点 {escape(dealer)}）" if dealer else ""
    return _page("联系我们", f"""
<h1>联系我们</h1>
<p class="lead">请告诉我们发生了什么{where}，客服会尽快与您联系。</p>
<form method="post" action="{escape(action)}" enctype="multipart/form-data">
<input type="hidden" name="token" value="{escape(token)}">
<input type="hidden" name="submission_id" value="{escape(submission_id)}">
<label for="phone">手机号 <span class="hint">（必填，用于回电）</span></label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required
 aria-required="true" maxlength="20">
<label for="name">称呼 <span class="hint">（选填）</span></label>
<input id="name" name="name" type="text" autocomplete="name" maxlength="40">
<label for="text">发生了什么 <span class="hint">（必填）</span></label>
<textarea id="text" name="text" required aria-required="true" maxlength="2000"></textarea>
<label for="photo">照片 <span class="hint">（选填）</span></label>
<input id="photo" name="photo" type="file" accept="image/*">
<button type="submit">提交</button>
</form>""")


def done_page(reference: str) -> str:
    return _page("已收到", f"""
<div class="box" role="status">
<h1>已收到您的反馈</h1>
<p>您的案件编号：</p><p class="ref">{escape(reference)}</p>
<p>请保存此编号，客服会尽快与您联系。如遇紧急情况（事故、车辆无法行驶），请直接拨打 400 热线。</p>
</div>""")


def error_page(title: str, message: str) -> str:
    return _page(title, f"""
<div class="box err" role="alert">
<h1>{escape(title)}</h1><p>{escape(message)}</p>
<p>请重新扫描车辆或服务网点上的二维码，或直接拨打 400 热线。</p>
</div>""")
