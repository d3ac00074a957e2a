"""The portal speaks the merchant's language (Chinese or English) and the tracking page the
buyer's (also German, French, Spanish): from the browser's Accept-Language, changed with the
switcher (a plain form posting to set_language, no JavaScript) and remembered in a cookie."""

import re

import pytest
from django.conf import settings

from apps.orders.tests.factories import order_draft
from apps.shipping.services import order_submit

SWITCHER = re.compile(r'<form method="post" action="/i18n/setlang/"[^>]*id="language-switcher">(.*?)</form>', re.S)


def _switch(client, language: str, next_url: str):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def test_the_login_page_speaks_chinese_to_a_chinese_browser(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "<h1>登录</h1>" in page and "用户名" in page and "密码" in page


def test_the_portal_answers_a_browser_in_a_language_it_does_not_speak_in_english(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()

    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page
    switcher = SWITCHER.search(page).group(1)
    assert re.findall(r'<option value="([^"]+)"', switcher) == ["en", "zh-hans"]


@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [
        ("de-DE,de;q=0.9", "de", "Sendung verfolgen"),
        ("fr-FR,fr;q=0.9", "fr", "Suivre un colis"),
        ("es-ES,es;q=0.9", "es", "Seguir un paquete"),
        ("zh-CN,zh;q=0.9", "zh-hans", "查询包裹"),
        ("en-GB,en;q=0.9", "en", "Track a parcel"),
    ],
)
def test_the_tracking_page_speaks_the_buyers_language(client, db, accept, lang, title):
    page = client.get("/track/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert f'<html lang="{lang}">' in page and f"<h1>{title}</h1>" in page
    switcher = SWITCHER.search(page).group(1)
    assert re.findall(r'<option value="([^"]+)"', switcher) == [code for code, _ in settings.LANGUAGES]


def test_a_language_chosen_with_the_switcher_is_remembered_over_the_browsers(client, db):
    response = _switch(client, "zh-hans", "/track/?order_number=X")

    assert response.status_code == 302 and response["Location"] == "/track/?order_number=X"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    page = client.get("/track/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "<h1>查询包裹</h1>" in page
    assert '<option value="zh-hans" lang="zh-hans" selected>' in page


def test_a_buyers_language_the_portal_lacks_stays_on_the_tracking_page_only(client, db):
    _switch(client, "fr", "/track/")

    assert "<h1>Suivre un colis</h1>" in client.get("/track/").content.decode()
    assert "<h1>Log in</h1>" in client.get("/login/").content.decode()


def test_the_switcher_works_without_javascript_and_every_control_has_a_label(client, db):
    page = client.get("/login/").content.decode()
    switcher = SWITCHER.search(page).group(0)

    assert 'name="csrfmiddlewaretoken"' in switcher and "<button>" in switcher
    assert '<label for="language-choice">' in switcher and 'id="language-choice"' in switcher
    assert "<script" not in switcher and "onchange" not in switcher


def test_the_api_answers_in_english_whatever_the_client_asks(client, db):
    response = client.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh")

    assert response.status_code == 401
    assert re.search(r"[\u4e00-\u9fff]", response.content.decode()) is None


@pytest.fixture
def portal_zh(client, merchant_user):
    client.force_login(merchant_user)
    _switch(client, "zh-hans", "/orders/")
    return client


def test_the_merchants_pages_menus_labels_states_and_messages_are_in_chinese(portal_zh, merchant, cn_de_service):
    order = order_submit(merchant_id=merchant.pk, draft=order_draft(reference="ZH-1"), actor="t", channel="api")

    listing = portal_zh.get("/orders/").content.decode()
    form = portal_zh.get("/orders/new/").content.decode()
    detail = portal_zh.get(f"/orders/{order.number}/").content.decode()
    bad_filter = portal_zh.get("/orders/", {"created_after": "not a date"}).content.decode()

    assert "<h1>订单</h1>" in listing and ">新建订单</a>" in listing and ">导出 CSV</a>" in listing
    assert "创建时间晚于" in listing  # a filter's label
    assert "<legend>收件人</legend>" in form and "邮编" in form and "获取报价" in form
    assert "已受理" in detail and "<h2>时间线</h2>" in detail and "订单已受理" in detail
    assert "请修正上方标出的筛选条件" in bad_filter


def test_countries_are_named_in_the_merchants_language_in_its_alphabetical_order(portal_zh, client):
    chinese = portal_zh.get("/orders/new/").content.decode()
    _switch(client, "en", "/orders/new/")
    english = client.get("/orders/new/").content.decode()

    def recipient_countries(page: str) -> list[tuple[str, str]]:
        select = re.search(r'<select name="recipient_country".*?</select>', page, re.S).group(0)
        return re.findall(r'<option value="([A-Z]*)"[^>]*>([^<]*)</option>', select)

    assert ("DE", "德国") in recipient_countries(chinese) and ("DE", "Germany") in recipient_countries(english)
    codes = [code for code, _ in recipient_countries(chinese)]
    # Pinyin order: Albania (A'erbaniya) before Afghanistan (Afuhan), Germany (Deguo) before France (Faguo).
    assert codes.index("AL") < codes.index("AF") and codes.index("DE") < codes.index("FR")
    assert [code for code, _ in recipient_countries(english)][:3] == ["", "AF", "AX"]


def test_a_django_form_error_comes_in_the_merchants_language(portal_zh, cn_de_service):
    page = portal_zh.post("/orders/new/", {"action": "submit"}).content.decode()

    assert "该字段是必填项。" in page


def test_the_csv_export_starts_with_a_byte_order_mark_so_excel_reads_it_as_utf8(portal_zh, merchant, cn_de_service):
    draft = order_draft(reference="BOM-1")
    order_submit(merchant_id=merchant.pk, draft=draft, actor="t", channel="api")

    body = b"".join(portal_zh.get("/orders/export.csv").streaming_content)

    assert body.startswith(b"\xef\xbb\xbfid,number,reference,")
    assert body.count(b"\xef\xbb\xbf") == 1
    assert "BOM-1" in body.decode("utf-8-sig")
