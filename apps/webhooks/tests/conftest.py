import pytest

from apps.webhooks.tests.receiver import running_receiver


@pytest.fixture
def receiver():
    with running_receiver() as hook:
        yield hook
