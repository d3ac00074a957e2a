"""Each app's docstring (apps.py) names its public API; every name it gives must exist, so a
newcomer reading it finds the function it points at."""

import importlib
import re

import pytest
from django.apps import apps as django_apps

# `services.endpoint_create/_update/_delete` names endpoint_create, endpoint_update, endpoint_delete.
NAMED = re.compile(r"`(\w+)\.(\w+(?:/_\w+)*)`")


def _our_apps():
    return [config for config in django_apps.get_app_configs() if config.name.split(".")[0] in ("apps", "logistics")]


def _named_in(docstring: str) -> list[tuple[str, str]]:
    named = []
    for module, names in NAMED.findall(docstring):
        first, *others = names.split("/")
        stem = first.rsplit("_", 1)[0] if others else first
        named += [(module, first)] + [(module, stem + other) for other in others]
    return named


@pytest.mark.parametrize("config", _our_apps(), ids=lambda config: config.label)
def test_every_name_an_app_docstring_gives_exists(config):
    docstring = type(config).__doc__ or ""
    assert docstring.strip(), f"{config.name} says nothing about what it owns"

    missing = []
    for module_name, attribute in _named_in(docstring):
        try:
            module = importlib.import_module(f"{config.name}.{module_name}")
        except ModuleNotFoundError:
            continue  # a dotted event name (`orders.order.*`), not a module of the app
        if not hasattr(module, attribute):
            missing.append(f"{module_name}.{attribute}")

    assert missing == []


def test_the_name_reader_expands_shared_stems():
    assert _named_in("`services.endpoint_create/_update` and `selectors.order_get`") == [
        ("services", "endpoint_create"),
        ("services", "endpoint_update"),
        ("selectors", "order_get"),
    ]
