"""Our Twilio signature check against Twilio's own RequestValidator."""

from twilio.request_validator import RequestValidator

from hub.connectors.sms_twilio import twilio_signature, url_variants

TOKEN = "12345"
PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
          ("From", "+12349013030"), ("To", "+18005551212"), ("Body", "车窗关不上了")]


def test_signature_matches_twilio_reference():
    url = "https://hub.example.cn/v1/channels/sms/twilio?foo=1&bar=2"
    ours = twilio_signature(TOKEN, url, PARAMS)
    assert ours == RequestValidator(TOKEN).compute_signature(url, dict(PARAMS))
    assert RequestValidator(TOKEN).validate(url, dict(PARAMS), ours)


def test_port_variants_like_twilio_validators():
    assert set(url_variants("https://hub.example.cn/x")) == {
        "https://hub.example.cn/x", "https://hub.example.cn:443/x"}
    assert set(url_variants("https://hub.example.cn:443/x")) == {
        "https://hub.example.cn:443/x", "https://hub.example.cn/x"}
    assert url_variants("http://127.0.0.1:8080/x") == ["http://127.0.0.1:8080/x",
                                                       "http://127.0.0.1/x"]
