"""The platform's own deployment checks refuse development secrets and any-host in production."""

import pytest

from logistics.checks import check_allowed_hosts, check_api_key_pepper, check_sandbox_secrets

STRONG = "x7Qp2-Long-Random-Value-For-Production-0123456789"


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({"SANDBOX_ENABLED": True, "SANDBOX_API_KEY": "dev-only-sandbox-api-key"}, ["SANDBOX_API_KEY"]),
        (
            {"SANDBOX_ENABLED": True, "SANDBOX_WEBHOOK_SECRET": "dev-only-sandbox-webhook-secret"},
            ["SANDBOX_WEBHOOK_SECRET"],
        ),
        ({"SANDBOX_ENABLED": True}, []),
        ({"SANDBOX_ENABLED": False, "SANDBOX_API_KEY": "dev-only-sandbox-api-key"}, []),
    ],
)
def test_a_mounted_sandbox_needs_its_own_secrets(settings, overrides, refused):
    settings.SANDBOX_API_KEY = settings.SANDBOX_WEBHOOK_SECRET = STRONG
    for name, value in overrides.items():
        setattr(settings, name, value)

    errors = check_sandbox_secrets()

    assert [e.id for e in errors] == ["logistics.E001"] * len(refused)
    assert all(name in e.msg for e, name in zip(errors, refused, strict=True))


@pytest.mark.parametrize(("pepper", "refused"), [("dev-only-api-key-pepper", True), ("", True), (STRONG, False)])
def test_the_development_api_key_pepper_is_refused(settings, pepper, refused):
    settings.API_KEY_PEPPER = pepper

    assert [e.id for e in check_api_key_pepper()] == (["logistics.E002"] if refused else [])


@pytest.mark.parametrize(
    ("hosts", "refused"), [(["*"], True), (["logistics.example.com", "*"], True), (["logistics.example.com"], False)]
)
def test_any_host_is_refused(settings, hosts, refused):
    settings.ALLOWED_HOSTS = hosts

    assert [e.id for e in check_allowed_hosts()] == (["logistics.E003"] if refused else [])
