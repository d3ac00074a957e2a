from django.conf import settings
from django.core.management import call_command

from apps.common.management.commands.state_diagrams import render


def test_the_committed_state_diagrams_match_the_code():
    call_command("state_diagrams", "--check", str(settings.BASE_DIR / "docs" / "state-machines.md"))


def test_diagrams_carry_the_real_transitions_and_final_states():
    text = render()

    assert "    accepted --> scheduled: schedule" in text
    assert "    booking --> booked: mark_booked" in text
    assert "    delivered --> [*]" in text
    assert text.count("stateDiagram-v2") == 6  # order, distribution, fulfilment, container, lane entry, warehouse order
