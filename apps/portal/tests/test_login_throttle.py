"""Guessing passwords, on the portal or the admin, is throttled per account and per address."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "right-pass-8472"


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def account(db):
    return get_user_model().objects.create_user(username=f"u-{uuid.uuid4().hex[:10]}", password=PASSWORD, is_staff=True)


def _login(path: str, username: str, password: str, address: str):
    client = Client()
    response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_after_many_wrong_passwords_even_the_right_one_waits(account, path):
    address = _address()
    for n in range(50):
        _login(path, account.username, f"wrong-{n}", address)

    response, client = _login(path, account.username, PASSWORD, address)

    assert response.status_code == 200  # the form again, not the redirect of a login
    text = response.content.decode()
    assert "Too many failed logins" in text and "Try again in" in text
    assert "_auth_user_id" not in client.session
    # The account's bucket holds from any address too.
    from_elsewhere, _ = _login(path, account.username, PASSWORD, _address())
    assert "Too many failed logins" in from_elsewhere.content.decode()


def test_one_address_trying_many_accounts_is_throttled_and_others_are_not(account, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    address = _address()
    for _ in range(6):
        _login("/login/", f"nobody-{uuid.uuid4().hex[:8]}", "guess", address)

    refused, _ = _login("/login/", account.username, PASSWORD, address)
    elsewhere, _ = _login("/login/", account.username, PASSWORD, _address())

    assert "Too many failed logins" in refused.content.decode()
    assert elsewhere.status_code == 302


def test_a_few_typos_and_any_number_of_good_logins_do_not_lock_anyone(account):
    address = _address()
    for n in range(3):
        _login("/login/", account.username, f"typo-{n}", address)

    answers = [_login("/login/", account.username, PASSWORD, address)[0].status_code for _ in range(15)]

    assert answers == [302] * 15
