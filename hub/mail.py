"""Reading customer mail as it really arrives in China: RFC 2047 words in
labels that lie (gb2312/gbk are decoded as gb18030, their superset), Big5,
raw 8-bit headers, HTML-only bodies, multipart/alternative; then keeping only
the customer's own words (quoted replies and signatures removed) and telling
auto-replies and bounces apart so they never become cases or get answered."""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser

from hub.errors import InvalidPayload

# Labels that lie: what senders call gb2312 is usually GBK or GB18030.
_CHARSET_FIX = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                "euc-cn": "gb18030", "big5": "big5hkscs", "ks_c_5601-1987": "cp949"}
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
_ENCODED_WORD = re.compile(rb"=\?(gb2312|gbk|x-gbk|cp936|euc-cn)\?", re.IGNORECASE)

_QUOTE_HEADERS = [
    re.compile(r"^\s*在.{0,80}写道[:：]\s*$"),
    re.compile(r"^\s*On .{0,200}wrote:\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|原始邮件|Forwarded message|转发的邮件)\s*-{2,}",
               re.IGNORECASE),
    re.compile(r"^\s*(From|发件人)\s*[:：].+$"),  # Outlook block: From:/Sent:/To:/Subject:
    re.compile(r"^_{10,}\s*$"),
]
_SIGNATURE_STARTS = [re.compile(p) for p in (
    r"^-- ?$", r"^—+\s*$", r"^(发自我的|Sent from my) ?(iPhone|iPad|Android|华为|手机)",
    r"^(此致|顺祝商祺|祝好|Best regards|Regards|Thanks|谢谢)[,，!！]?\s*$",
)]
_AUTO_SUBJECT = re.compile(r"^\s*(自动回复|自動回覆|auto(matic)?[- ]?reply|out of office|"
                           r"undeliverable|delivery status notification|退信|系统退信)",
                           re.IGNORECASE)


def _charset(name: str | None) -> str:
    name = (name or "").strip().lower()
    return _CHARSET_FIX.get(name, name)


def decode_bytes(data: bytes, declared: str | None) -> str:
    for name in (_charset(declared), *_FALLBACKS):
        if not name:
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def decode_header_value(value: str | None) -> str:
    """RFC 2047 words and raw 8-bit bytes (carried as surrogates) to text."""
    if not value:
        return ""
    value = str(value)
    if any("\udc80" <= c <= "\udcff" for c in value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    try:
        parts = decode_header(value)
        return str(make_header([(b, _charset(c) or None) for b, c in parts])).strip()
    except (LookupError, UnicodeDecodeError, ValueError):
        return value.strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "blockquote", "h1", "h2", "h3"):
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.out)).strip()


def own_words(text: str) -> str:
    """The customer's part: up to the first quote header, quoted block or signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if any(p.match(line) for p in _QUOTE_HEADERS) or any(
                p.match(stripped) for p in _SIGNATURE_STARTS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


@dataclass
class Mail:
    message_id: str
    from_name: str
    from_addr: str
    subject: str
    text: str
    full_text: str
    in_reply_to: str | None
    thread_id: str
    auto: str | None  # why this is an auto-reply or bounce, or None
    attachments: list[dict] = field(default_factory=list)


def _auto_reason(msg: Message, subject: str, sender: str) -> str | None:
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.get(header) and header != "X-Auto-Response-Suppress":
            return header
    if (msg.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {msg.get('Precedence')}"
    if msg.get_content_type() == "multipart/report":
        return "delivery status notification"
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return f"sender {sender}"
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return None


def parse_mail(raw: bytes) -> Mail:
    if not raw.strip():
        raise InvalidPayload("empty message")
    fixed = _ENCODED_WORD.sub(b"=?gb18030?", raw)
    msg = email.message_from_bytes(fixed, policy=policy.compat32)
    if not msg.keys():
        raise InvalidPayload("not an RFC 5322 message: no headers")
    head = re.split(rb"\r?\n\r?\n", fixed, maxsplit=1)[0]
    # Raw 8-bit headers (RFC 6532, or a sender that never heard of RFC 2047):
    # read the header block as text in the charset it turns out to be in.
    headers = HeaderParser(policy=policy.compat32).parsestr(decode_bytes(head, None)) \
        if any(b >= 0x80 for b in head) else msg
    name, addr = parseaddr(decode_header_value(headers.get("From")))
    if "@" not in addr:
        raise InvalidPayload("message has no usable From address")
    subject = decode_header_value(headers.get("Subject"))
    plain, html, attachments = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").lower()
        payload = part.get_payload(decode=True) or b""
        ctype = part.get_content_type()
        if filename or disposition.startswith("attachment"):
            attachments.append({"filename": decode_header_value(filename) or None,
                                "content_type": ctype, "size": len(payload)})
        elif ctype == "text/plain":
            plain.append(decode_bytes(payload, part.get_content_charset()))
        elif ctype == "text/html":
            html.append(html_to_text(decode_bytes(payload, part.get_content_charset())))
    full = "\n".join(plain) if plain else "\n".join(html)
    message_id = (msg.get("Message-ID") or "").strip()
    if not message_id:  # no id: the content identifies a redelivery
        message_id = "<sha256:" + hashlib.sha256(raw).hexdigest()[:32] + ">"
    in_reply_to = (msg.get("In-Reply-To") or "").strip() or None
    references = [r for r in re.findall(r"<[^>]+>", msg.get("References") or "")]
    return Mail(
        message_id=message_id, from_name=name, from_addr=addr.lower(), subject=subject,
        text=own_words(full), full_text=full, in_reply_to=in_reply_to,
        thread_id=(references[0] if references else in_reply_to or message_id),
        auto=_auto_reason(msg, subject, addr.lower()), attachments=attachments,
    )

