"""Production settings pass Django's deployment checks given real secrets, and refuse to start without them."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

CHECK = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def _production_env(**overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_KEY_PEPPER", "SITE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "logistics.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "API_KEY_PEPPER": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "logistics.example.com",
        "SITE_URL": "https://logistics.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics"),
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _check(**overrides) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no outside input
        CHECK, cwd=settings.BASE_DIR, env=_production_env(**overrides), capture_output=True, text=True, timeout=120
    )


def test_deploy_checks_pass_with_real_secrets():
    result = _check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_stays_off_whatever_the_environment_says():
    result = _check(DJANGO_DEBUG="true")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "API_KEY_PEPPER", "DJANGO_ALLOWED_HOSTS", "SITE_URL"])
def test_it_refuses_to_start_without_a_required_setting(missing):
    result = _check(**{missing: None})

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_a_weak_secret_key_fails_the_deploy_checks():
    result = _check(**{"DJANGO_SECRET_KEY": "short-and-guessable"})

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


RESOLVE_SANDBOX = (
    "import django; django.setup(); from django.urls import Resolver404, resolve\n"
    "try:\n    resolve('/sandbox/carriers/x/shipments/')\nexcept Resolver404:\n    print('absent')\n"
    "else:\n    print('mounted')\n"
)


@pytest.mark.parametrize(("enabled", "expected"), [(None, "absent"), ("true", "mounted")])
def test_production_mounts_the_sandbox_only_when_asked(enabled, expected):
    result = subprocess.run(  # noqa: S603 - our own interpreter, no outside input
        [sys.executable, "-c", RESOLVE_SANDBOX],
        cwd=settings.BASE_DIR,
        env=_production_env(SANDBOX_ENABLED=enabled),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def deployment_guide_environment() -> dict[str, str]:
    """The environment block of docs/deployment.md, each `<placeholder>` a fresh random value."""
    guide = (Path(settings.BASE_DIR) / "docs" / "deployment.md").read_text()
    block = re.search(r"```env\n(.*?)```", guide, re.S).group(1)
    pairs = dict(line.split("=", 1) for line in block.splitlines() if line.strip())
    return {name: re.sub(r"<[^>]*>", lambda _: secrets.token_urlsafe(48), value) for name, value in pairs.items()}


def _check_with(environment: dict[str, str]) -> subprocess.CompletedProcess:
    inherited = ("DJANGO_", "API_KEY_PEPPER", "SITE_URL", "SANDBOX")
    base = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no outside input
        CHECK, cwd=settings.BASE_DIR, env=base | environment, capture_output=True, text=True, timeout=120
    )


def test_the_deployment_guides_environment_passes_every_deploy_check():
    environment = deployment_guide_environment()
    assert environment["DJANGO_SETTINGS_MODULE"] == "logistics.settings.production"

    result = _check_with(environment)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_the_development_values_fail_the_deploy_checks():
    """What a deployment that copied the development defaults would be refused for."""
    environment = deployment_guide_environment() | {
        "DJANGO_SECRET_KEY": "dev-only-insecure-secret-key-change-me",
        "API_KEY_PEPPER": "dev-only-api-key-pepper",
        "DJANGO_ALLOWED_HOSTS": "*",
        "SANDBOX_ENABLED": "true",
    }

    result = _check_with(environment)

    output = result.stdout + result.stderr
    assert result.returncode != 0
    found = set(re.findall(r"\((?:security|logistics)\.[EW]\d+\)", output))
    assert found == {
        "(security.W009)",  # the secret key
        "(logistics.E001)",  # the sandbox's development secrets (twice: key and webhook secret)
        "(logistics.E002)",  # the API key pepper
        "(logistics.E003)",  # any host
    }, output
    assert output.count("(logistics.E001)") == 2
