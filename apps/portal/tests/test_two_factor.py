"""Two-factor login: an authenticator app (TOTP) with single-use recovery codes, open to every
member and required for owners; the code step comes after the password and is throttled too."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.merchants.models import AuditEntry, RecoveryCode
from apps.merchants.tests.factories import MembershipFactory
from apps.merchants.tests.two_factor import confirmed_device, current_code

PASSWORD = "secret-pass-123"  # what UserFactory sets
NOON = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

pytestmark = pytest.mark.clock


@pytest.fixture
def frozen():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def _password_step(user) -> Client:
    """A browser that has typed the right password, and nothing more."""
    browser = Client()
    response = browser.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def _actions(merchant) -> list[str]:
    return list(AuditEntry.objects.filter(merchant=merchant).order_by("id").values_list("action", flat=True))


def test_an_owner_without_two_factor_is_sent_to_set_it_up_and_then_uses_the_portal(merchant, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner", two_factor=False).user
    browser = _password_step(owner)

    sent = browser.get("/orders/")
    assert sent.status_code == 302 and sent["Location"] == "/account/two-factor/?next=%2Forders%2F"
    assert browser.get("/api-keys/")["Location"].startswith("/account/two-factor/")
    page = browser.post("/account/two-factor/", {"next": "/orders/"}).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, drawn here, from no other site
    assert 'href="/orders/"' not in page  # no menu of pages that would send the owner back here

    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    wrong = browser.post(
        "/account/two-factor/confirm/", {"token": "000000" if current_code(device) != "000000" else "1"}
    )
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    frozen.shift(timedelta(seconds=30))
    shown = browser.post("/account/two-factor/confirm/", {"token": current_code(device), "next": "/orders/"})

    assert shown.status_code == 201 and shown["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.content.decode())
    assert len(codes) == 10
    stored = list(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    assert browser.get("/orders/").status_code == 200
    assert _actions(merchant) == ["two_factor_enabled"]


def test_the_code_step_follows_the_password_and_takes_the_current_code_once(merchant, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner").user
    device = confirmed_device(owner)
    browser = _password_step(owner)

    assert browser.get("/orders/")["Location"] == "/login/verify/?next=%2Forders%2F"
    wrong = browser.post("/login/verify/", {"code": "123456" if current_code(device) != "123456" else "654321"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    frozen.shift(timedelta(seconds=2))  # django-otp waits a moment more after each wrong code
    right = browser.post("/login/verify/", {"code": current_code(device), "next": "/orders/"})

    assert right.status_code == 302 and right["Location"] == "/orders/"
    assert browser.get("/orders/").status_code == 200
    # The same code, seen over a shoulder, does not log in a second browser.
    replay = _password_step(owner).post("/login/verify/", {"code": current_code(device)})
    assert replay.status_code == 400


def test_a_code_from_minutes_ago_is_refused(merchant, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner").user
    device = confirmed_device(owner)
    old = current_code(device)

    frozen.shift(timedelta(minutes=5))

    assert _password_step(owner).post("/login/verify/", {"code": old}).status_code == 400


def test_a_recovery_code_logs_in_once(merchant, frozen):
    member = MembershipFactory(merchant=merchant, role="viewer").user
    browser = _password_step(member)
    browser.post("/account/two-factor/")  # a viewer may turn it on too
    device = TOTPDevice.objects.get(user=member)
    codes = re.findall(
        r"<code>([a-z2-9-]{11})</code>",
        browser.post("/account/two-factor/confirm/", {"token": current_code(device)}).content.decode(),
    )

    first = _password_step(member)
    assert first.get("/orders/")["Location"].startswith("/login/verify/")
    assert first.post("/login/verify/", {"code": codes[0].upper().replace("-", " ")}).status_code == 302
    assert first.get("/orders/").status_code == 200
    again = _password_step(member).post("/login/verify/", {"code": codes[0]})

    assert again.status_code == 400
    assert RecoveryCode.objects.filter(user=member, used_at__isnull=False).count() == 1
    assert _actions(merchant) == ["two_factor_enabled", "recovery_code_used"]
    assert "9 recovery codes left" in first.get("/account/two-factor/").content.decode()


def test_wrong_codes_are_throttled_and_then_even_the_right_one_waits(merchant, settings, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner").user
    device = confirmed_device(owner)
    browser = _password_step(owner)
    for n in range(settings.TWO_FACTOR_FAILURES_PER_ACCOUNT):
        browser.post("/login/verify/", {"code": f"wrong-{n}"})

    refused = browser.post("/login/verify/", {"code": current_code(device)})

    assert refused.status_code == 400 and "Too many wrong codes" in refused.content.decode()
    assert browser.get("/orders/")["Location"].startswith("/login/verify/")


def test_an_owner_cannot_turn_two_factor_off_but_a_viewer_can(client, merchant, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner").user
    device = confirmed_device(owner)
    client.force_login(owner)

    client.post("/account/two-factor/disable/", {"code": current_code(device)})
    assert TOTPDevice.objects.filter(user=owner).exists()

    viewer = MembershipFactory(merchant=merchant, role="viewer", two_factor=True).user
    viewer_device = confirmed_device(viewer)
    client.force_login(viewer)
    frozen.shift(timedelta(seconds=30))
    client.post("/account/two-factor/disable/", {"code": current_code(viewer_device)})

    assert not TOTPDevice.objects.filter(user=viewer).exists()
    assert _actions(merchant) == ["two_factor_disabled"]
    assert client.get("/orders/").status_code == 200  # a viewer needs none


def test_new_recovery_codes_replace_the_old_ones(client, merchant, frozen):
    member = MembershipFactory(merchant=merchant, role="shipper", two_factor=True).user
    client.force_login(member)

    first = re.findall(
        r"<code>([a-z2-9-]{11})</code>", client.post("/account/two-factor/recovery-codes/").content.decode()
    )
    second = re.findall(
        r"<code>([a-z2-9-]{11})</code>", client.post("/account/two-factor/recovery-codes/").content.decode()
    )

    assert len(first) == len(second) == 10 and not set(first) & set(second)
    assert RecoveryCode.objects.filter(user=member).count() == 10
    assert _actions(merchant) == ["recovery_codes_renewed", "recovery_codes_renewed"]


def test_a_password_alone_opens_no_portal_page_of_a_login_with_an_authenticator(merchant, frozen):
    owner = MembershipFactory(merchant=merchant, role="owner").user
    browser = _password_step(owner)

    for path in ("/orders/", "/team/", "/account/two-factor/", "/api-keys/"):
        assert browser.get(path)["Location"].startswith("/login/verify/"), path
    for path in ("/account/two-factor/", "/account/two-factor/recovery-codes/", "/team/invite/"):
        assert browser.post(path, {"email": "x@example.com", "role": "owner"})["Location"].startswith("/login/verify/")
    assert not RecoveryCode.objects.filter(user=owner).exists()
