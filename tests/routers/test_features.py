"""What the model sees of a message."""

from datetime import UTC, datetime

from hub.event import Context, Event
from hub.routers.features import EDGE_CHARS, features, joined, prepare


def ev(text: str, **kw) -> Event:
    return Event(event_id="e", channel="sms", source="sms", channel_message_id="m",
                 received_at=datetime(2026, 11, 22, tzinfo=UTC), text=text, **kw)


def test_traditional_text_is_read_as_simplified():
    assert prepare(ev("車子拋錨了")) == "\n车子抛锚了"


def test_concepts_are_named_where_they_stand():
    f = features(ev("上周车子抛锚过一次，后来一直有点担心，现在想问一下保养多少钱"))
    assert f["c:past"] == f["h:past"] == 1.0  # 上周 opens the message
    assert f["e:question"] == 1.0  # it closes on a question
    assert "e:past" not in f and "h:question" not in f
    assert len("上周车子抛锚过一次，后来一直有点担心") > EDGE_CHARS


def test_a_denied_complaint_is_named_but_its_words_do_not_count():
    f = features(ev("不是投诉，就是想问保养多少钱"))
    assert f["c:not_complaint"] == f["h:not_complaint"] == 1.0
    assert "g:投诉" not in f
    assert "g:投诉" not in features(ev("不是 投诉 就是 想 问问"))  # nor when spoken


def test_hints_and_channel_are_features():
    f = features(ev("你好", context=Context(ivr_path=["1", "4"], topic_hint="Repair")))
    assert f["ivr:4"] == f["topic:repair"] == f["channel:sms"] == f["bias"] == 1.0
    assert "ivr:1" not in f  # only the last key pressed


def test_english_is_read_by_words_as_well():
    f = features(ev("My car will not START, please send a tow truck"))
    assert {"w:start", "w:tow", "w:truck", "w:please"} <= set(f)
    assert "w:my" not in f  # under three letters: no word of its own
    assert f["w:tow"] == f["w:truck"]
    assert not any(k.startswith("w:") for k in features(ev("车子抛锚了 需要拖车")))


def test_asr_pauses_between_chinese_words_do_not_hide_concepts():
    spoken = features(ev("人 都 没事 车 还 能开 想问 保险 怎么 弄"))
    assert spoken["c:settled"] == 1.0  # 还能开, spoken with a pause
    assert "g:还能" not in spoken  # the letter pairs still follow the transcript
    assert joined("车 还 能开 ok then") == "车还能开 ok then"


def test_a_pit_or_a_dent_is_no_rip_off():
    assert "c:dissatisfied" not in features(ev("车门上有个小凹坑，能做无痕修复吗"))
    assert "lex:complaint" not in features(ev("过坑的时候底盘有异响"))
    assert features(ev("同样的配置贵了八千，我觉得被坑了"))["c:dissatisfied"] == 1.0


def test_praise_and_polite_forms_are_no_grievance():
    f = features(ev("您好，贵司售后服务专员小刘态度非常好，耐心帮我处理了保险理赔的事，特此表扬！"))
    assert f["c:thanks"] == 1.0
    assert "c:money" not in f and "c:demand" not in f  # 贵司 is "your company", 理赔 a claim
    assert features(ev("保养报价太贵了"))["c:money"] == 1.0
    assert features(ev("要求赔偿误工费"))["c:demand"] == 1.0
    assert "c:fault" not in features(ev("提车的时候要检查哪些地方 怕自己漏掉"))
    assert "c:money" not in features(ev("贵品牌的车队车辆请安排统一检查"))


def test_a_question_asked_in_advance_and_a_car_that_drives_fine_are_named():
    f = features(ev("请问钥匙锁在车里了一般怎么处理？现在没事 就是想提前了解"))
    assert f["c:hypothetical"] == 1.0
    assert "c:hypothetical" not in features(ev("钥匙锁在车里了 孩子在车上 快来"))
    assert features(ev("扳手灯亮了 车开着没什么感觉 要不要紧"))["c:settled"] == 1.0
    assert features(ev("The warning came on but the car drives fine"))["c:settled"] == 1.0


def test_short_english_words_are_whole_words():
    assert "c:thanks" not in features(ev("Could you take a look at it and book me in?"))
    assert features(ev("ok, thanks"))["c:thanks"] == 1.0
    assert "c:now" not in features(ev("I know the noise is small"))
    assert features(ev("stuck on the ring road right now"))["c:now"] == 1.0
    assert "lex:inquiry" not in features(ev("the dash shows a warning"))  # not "how"
    assert features(ev("we need towing"))["c:help_now"] == 1.0  # longer words keep endings
