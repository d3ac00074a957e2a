"""One place where state machine transitions are taken, counted and recorded.

Every stateful model has an `FSMField(protected=True)` named `state`, an integer `version`, and
a history model whose foreign key uses `related_name="history"`.
"""

from typing import Any

from django.db import models
from django_fsm import TransitionNotAllowed

__all__ = ["TransitionNotAllowed", "take_transition"]


def take_transition(
    instance: models.Model, transition: str, *, actor: str, reason: str = "", **kwargs: Any
) -> tuple[str, str]:
    """Take `transition` on a locked instance, save it and record the history row.

    Raises `TransitionNotAllowed` when the current state does not allow it; nothing is saved then.
    """
    source = instance.state
    getattr(instance, transition)(**kwargs)
    instance.version += 1
    instance.save()
    instance.history.create(
        # 0 for what no single merchant owns (a line haul container carries many merchants' parcels)
        merchant_id=getattr(instance, "merchant_id", 0),
        transition=transition,
        from_state=source,
        to_state=instance.state,
        actor=actor,
        reason=reason[:500],
    )
    return source, instance.state


def forward_path(model: type[models.Model], *, source: str, target: str, allowed: set[str]) -> list[tuple[str, str]]:
    """The shortest chain of `allowed` transitions leading from `source` to `target`, as
    (transition name, state reached) pairs; empty when already there or no chain exists."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for t in model._meta.get_field("state").get_all_transitions(model):
        if t.name in allowed and t.target is not None:
            edges.setdefault(t.source, []).append((t.name, t.target))
    frontier, seen = [(source, [])], {source}
    while frontier:
        next_frontier = []
        for state, path in frontier:
            if state == target:
                return path
            for name, reached in sorted(edges.get(state, []) + edges.get("*", [])):
                if reached not in seen:
                    seen.add(reached)
                    next_frontier.append((reached, [*path, (name, reached)]))
        frontier = next_frontier
    return []
