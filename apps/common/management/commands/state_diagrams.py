"""Write every state machine as a Mermaid diagram, generated from the models' transitions."""

import inspect
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django_fsm import FSMFieldMixin

HEADER = """# State machines

Generated from the code by `python manage.py state_diagrams --write docs/state-machines.md`
(`make diagrams`); do not edit by hand. A test fails when this page and the code disagree.

From the carrier's collection of a parcel to its delivery or return, `orders.Order` and
`distribution.DistributionOrder` share one machine, declared once in
`apps/common/carrier_progress.py`: the same states, transitions and meanings; only the collected
state and the transition into it are named per model (`handed_over` by `hand_over` from
`in_fulfillment`, `picked_up` by `pick_up` from `booked`).
"""


def _machines():
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        for field in model._meta.fields:
            if isinstance(field, FSMFieldMixin):
                yield model, field


def render() -> str:
    parts = [HEADER]
    for model, field in _machines():
        transitions = sorted({(t.source, t.target, t.name) for t in field.get_all_transitions(model)})
        doc = inspect.getdoc(model) or ""
        parts.append(f"\n## {model._meta.label}\n\n{doc.splitlines()[0] if doc else ''}\n")
        lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {field.default}"]
        sources = {source for source, _, _ in transitions}
        for source, target, name in transitions:
            lines.append(f"    {source} --> {target}: {name}")
        finals = sorted({target for _, target, _ in transitions if target not in sources})
        lines += [f"    {state} --> [*]" for state in finals]
        lines.append("```")
        parts.append("\n".join(lines) + "\n")
        parts.append("\n| transition | from | to | meaning |\n|---|---|---|---|")
        for source, target, name in transitions:
            meaning = (inspect.getdoc(getattr(model, name)) or "").replace("\n", " ")
            parts.append(f"| `{name}` | {source} | {target} | {meaning} |")
        parts.append("")
    return "\n".join(parts)


class Command(BaseCommand):
    help = "Print (or --write, or --check) the Mermaid diagrams of every state machine."

    def add_arguments(self, parser):
        parser.add_argument("--write", metavar="PATH")
        parser.add_argument("--check", metavar="PATH")

    def handle(self, *args, **options):
        text = render()
        if options["write"]:
            Path(options["write"]).write_text(text)
        elif options["check"]:
            path = Path(options["check"])
            if not path.exists() or path.read_text() != text:
                raise CommandError(f"{path} is out of date: run `make diagrams`")
        else:
            self.stdout.write(text)
