"""The admin asks staff for a second factor: the password and an authenticator's code in one
form (logistics/admin_site.py); `manage.py staff_authenticator` gives a staff login its key."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.merchants.tests.factories import UserFactory
from apps.merchants.tests.two_factor import confirmed_device, current_code

PASSWORD = "ops-pass-5921"


@pytest.fixture
def ops(db):
    user = UserFactory(is_staff=True, is_superuser=True, username="ops-2fa")
    user.set_password(PASSWORD)
    user.save()
    return user


def _log_in(client: Client, user, code: str):
    return client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD, "code": code})


def test_staff_log_in_to_the_admin_with_the_password_and_the_current_code(ops):
    browser = Client()
    form = browser.get("/admin/login/").content.decode()

    response = _log_in(browser, ops, current_code(confirmed_device(ops)))

    assert 'name="code"' in form and 'autocomplete="one-time-code"' in form
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


@pytest.mark.parametrize("wrong", [False, True])
def test_the_password_alone_or_a_wrong_code_does_not_open_the_admin(ops, wrong):
    device = confirmed_device(ops)
    code = f"{(int(current_code(device)) + 1) % 1_000_000:06d}" if wrong else ""
    browser = Client()

    response = _log_in(browser, ops, code)

    assert response.status_code == 200  # the form again
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302


def test_a_staff_login_without_an_authenticator_is_told_how_to_get_one(ops):
    response = _log_in(Client(), ops, "123456")

    assert response.status_code == 200
    assert "manage.py staff_authenticator" in response.content.decode()


def test_a_staff_session_that_never_showed_a_code_is_sent_to_the_login(ops):
    confirmed_device(ops)
    browser = Client()  # Django's own client: a password-only session
    browser.force_login(ops)

    for path in ("/admin/", "/admin/operations/dashboard/", "/admin/route-simulator/"):
        response = browser.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), path


def test_a_session_stops_counting_once_its_authenticator_is_replaced(ops):
    browser = Client()
    _log_in(browser, ops, current_code(confirmed_device(ops)))
    call_command("staff_authenticator", ops.username, "--replace", stdout=io.StringIO())

    assert browser.get("/admin/").status_code == 302


def test_the_command_prints_a_new_key_once_and_replaces_it_only_when_asked(ops):
    out = io.StringIO()
    call_command("staff_authenticator", ops.username, stdout=out)
    first = TOTPDevice.objects.get(user=ops)

    with pytest.raises(CommandError, match="has an authenticator already"):
        call_command("staff_authenticator", ops.username, stdout=io.StringIO())
    call_command("staff_authenticator", ops.username, "--replace", stdout=io.StringIO())

    assert first.confirmed and first.config_url in out.getvalue() and "otpauth://totp/" in out.getvalue()
    assert "█" in out.getvalue() or "▀" in out.getvalue()  # the QR code, drawn in the terminal
    assert list(TOTPDevice.objects.filter(user=ops).values_list("pk", flat=True)) != [first.pk]


def test_the_command_refuses_a_merchants_login(merchant_user):
    with pytest.raises(CommandError, match="Only staff logins"):
        call_command("staff_authenticator", merchant_user.username, stdout=io.StringIO())
