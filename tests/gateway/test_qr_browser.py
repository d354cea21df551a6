"""The QR page in a real headless Chromium at phone width, set to simplified
Chinese as a phone in mainland China is: load, fill, attach a photo, submit,
read the confirmation; an over-long name's error in Chinese; the page in
traditional Chinese when the browser asks. Screenshots go to artifacts/ (not in git)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import segno

from hub import qr
from hub.settings import DEV_SECRETS
from tests.helpers import ROOT

CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "artifacts"

if not CHROMEDRIVER and not os.environ.get("CI"):
    pytest.skip("chromium/chromedriver not installed (bin/test installs them as root)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMEDRIVER, "CI must have chromium: bin/test installs it"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='hub-chromium-')}"):
        options.add_argument(flag)
    options.add_argument("--lang=zh-CN")
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    # A phone: desktop windows cannot be narrower than about 500 px.
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 360, "height": 780, "pixelRatio": 3.0}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def after_submit(browser, css: str):
    """The element of the page the form's POST leads to (the click does not wait for it)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def screenshot(browser, name: str) -> Path:
    """Save a screenshot for a person to look at (bin/test installs the CJK fonts
    without which Chinese renders as boxes); a blank page compresses far smaller."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert browser.save_screenshot(str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, (path, len(data))
    return path


def test_customer_scans_fills_and_gets_a_case_reference(gateway, browser, tmp_path):
    from selenium.webdriver.common.by import By

    token = qr.issue(DEV_SECRETS["qr_secret"], dealer="D0571A", vin="LNBSCU3H0MR512345")
    browser.get(f"{gateway}/q/{token}")
    assert browser.execute_script("return navigator.language") == "zh-CN"
    assert browser.find_element(By.TAG_NAME, "h1").text == "联系我们"
    assert "请告诉我们发生了什么（服务网点 D0571A）" in browser.find_element(
        By.CSS_SELECTOR, "p.lead").text
    assert browser.find_element(By.CSS_SELECTOR, "button[type=submit]").text == "提交"
    inner, scroll = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner == 360 and scroll <= inner, f"page overflows a {inner}-px screen ({scroll}px)"
    for field in ("phone", "text"):  # labelled, as screen readers need
        assert browser.find_element(By.CSS_SELECTOR, f"label[for={field}]").text
    screenshot(browser, "qr-form-zh-CN.png")
    photo = tmp_path / "photo.png"
    segno.make("photo").save(str(photo), scale=4)
    browser.find_element(By.ID, "phone").send_keys("139 0000 5555")
    browser.find_element(By.ID, "name").send_keys("王女士")
    browser.find_element(By.ID, "text").send_keys("车门把手脱落了，想预约更换")
    browser.find_element(By.ID, "photo").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = after_submit(browser, "[role=status]")
    assert "已收到您的反馈" in status.text
    reference = browser.find_element(By.CSS_SELECTOR, ".ref").text
    assert len(reference) == 10 and reference.isalnum()
    screenshot(browser, "qr-done-zh-CN.png")


def test_tampered_code_shows_a_clear_page(gateway, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{gateway}/q/gAAAAABnot-a-real-token")
    assert "二维码无效" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    screenshot(browser, "qr-invalid-zh-CN.png")


def test_an_over_long_name_is_explained_in_chinese(gateway, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{gateway}/q/{qr.issue(DEV_SECRETS['qr_secret'], dealer='D0571B')}")
    browser.find_element(By.ID, "phone").send_keys("13900005555")
    # Typing stops at the field's maxlength; a pasting script or an old browser does not.
    browser.execute_script("document.getElementById('name').value = arguments[0]", "名" * 61)
    browser.find_element(By.ID, "text").send_keys("刹车有异响")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = after_submit(browser, "[role=alert]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "请检查填写内容"
    assert "称呼最多 60 个字，请删减后再提交。" in alert.text and "String" not in alert.text
    screenshot(browser, "qr-name-too-long-zh-CN.png")


def test_traditional_chinese_when_the_browser_asks(gateway, browser):
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                            {"headers": {"Accept-Language": "zh-TW,zh;q=0.9"}})
    try:
        browser.get(f"{gateway}/q/{qr.issue(DEV_SECRETS['qr_secret'], dealer='D0571C')}")
        assert browser.find_element(By.TAG_NAME, "h1").text == "聯絡我們"
        assert browser.find_element(By.CSS_SELECTOR, "button[type=submit]").text == "送出"
        screenshot(browser, "qr-form-zh-Hant.png")
    finally:
        browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})


def test_qr_image_encodes_the_landing_url(tmp_path):
    png = tmp_path / "code.png"
    token = qr.issue(DEV_SECRETS["qr_secret"], dealer="D0571A")
    segno.make(qr.url("http://127.0.0.1:8080", token), error="m").save(str(png), scale=4)
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
