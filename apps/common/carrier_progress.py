"""The carrier's progress with a parcel: one machine for the order and its distribution leg.

From the moment a carrier collects a parcel until it is delivered or back with the sender, the
order (`orders.Order`) and its delivery leg (`distribution.DistributionOrder`) move through the
same states by the same transitions, driven by the same carrier milestones. Only two names
differ: the state a parcel waits in for the carrier (an order `in_fulfillment`, a leg `booked`)
and the collected state with the transition into it (an order is `handed_over` by `hand_over`,
a leg `picked_up` by `pick_up`). Each model describes itself with a `CarrierProgress` and takes
its transitions from `CarrierProgress.transitions()`; the services take their ranks, the
transitions carrier news may take and the state of each milestone from the same object.
"""

from dataclasses import dataclass
from functools import cached_property

from django_fsm import transition

IN_TRANSIT = "in_transit"
CUSTOMS_HOLD = "customs_hold"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERY_FAILED = "delivery_failed"
DELIVERED = "delivered"
RETURNED = "returned"
EXCEPTION = "exception"

# The milestones carriers' news is normalised to (see distribution.gateways). Past collection
# each names the state it puts a parcel in; the first two name the model's own states.
INFO_RECEIVED = "info_received"
PICKED_UP = "picked_up"
MILESTONES = (
    INFO_RECEIVED,
    PICKED_UP,
    IN_TRANSIT,
    CUSTOMS_HOLD,
    OUT_FOR_DELIVERY,
    DELIVERY_FAILED,
    DELIVERED,
    RETURNED,
    EXCEPTION,
)


@dataclass(frozen=True)
class Move:
    """One transition of the machine: its method name, where it may start, where it ends, and
    what it means (the method's docstring, shown in docs/state-machines.md)."""

    name: str
    sources: tuple[str, ...]
    target: str
    meaning: str


@dataclass(frozen=True)
class CarrierProgress:
    """The carrier-progress part of one model's state machine.

    `waiting` is the state a parcel waits in for the carrier, `collected` the state it reaches
    when the carrier collects it, by the transition named `collect`.
    """

    waiting: str
    collected: str
    collect: str

    @cached_property
    def moves(self) -> tuple[Move, ...]:
        collected = self.collected
        return (
            Move(
                self.collect,
                (self.waiting,),
                collected,
                "The carrier collected the parcel (from the merchant or the warehouse).",
            ),
            Move(
                "move_on",
                (collected, CUSTOMS_HOLD),
                IN_TRANSIT,
                "Moving through the carrier's network, or released by customs.",
            ),
            Move(
                "hold_in_customs",
                (collected, IN_TRANSIT),
                CUSTOMS_HOLD,
                "Customs stopped the parcel for inspection or duties.",
            ),
            Move(
                "dispatch_for_delivery",
                (IN_TRANSIT, DELIVERY_FAILED),
                OUT_FOR_DELIVERY,
                "On the van to the recipient.",
            ),
            Move(
                "fail_delivery_attempt",
                (OUT_FOR_DELIVERY,),
                DELIVERY_FAILED,
                "Nobody home, address not found: the carrier will try again or return it.",
            ),
            Move("deliver", (OUT_FOR_DELIVERY, IN_TRANSIT), DELIVERED, "The recipient has the parcel."),
            Move(
                "return_to_sender",
                (IN_TRANSIT, CUSTOMS_HOLD, DELIVERY_FAILED, EXCEPTION),
                RETURNED,
                "The carrier brought the parcel back to the sender.",
            ),
        )

    @cached_property
    def transition_names(self) -> frozenset[str]:
        """The transitions carrier news may take; cancelling and exceptions are decisions, not news."""
        return frozenset(move.name for move in self.moves)

    @cached_property
    def in_carrier_hands(self) -> tuple[str, ...]:
        """The states in which the carrier has the parcel and it is not yet delivered or returned."""
        return (self.collected, IN_TRANSIT, CUSTOMS_HOLD, OUT_FOR_DELIVERY, DELIVERY_FAILED)

    @cached_property
    def rank(self) -> dict[str, int]:
        """How far along a parcel is. News of a lower rank than the current state's is late and
        moves nothing; states of equal rank alternate (held in customs and released, a failed
        attempt and the next round), so news of equal rank does apply."""
        return {
            self.waiting: 0,
            self.collected: 1,
            IN_TRANSIT: 2,
            CUSTOMS_HOLD: 2,
            OUT_FOR_DELIVERY: 3,
            DELIVERY_FAILED: 3,
            DELIVERED: 4,
            RETURNED: 4,
        }

    @cached_property
    def state_of_milestone(self) -> dict[str, str]:
        """The state each carrier milestone puts a parcel in."""
        named = {INFO_RECEIVED: self.waiting, PICKED_UP: self.collected}
        return {milestone: named.get(milestone, milestone) for milestone in MILESTONES}

    def transitions(self, field: str = "state") -> type:
        """A mixin holding the machine's django-fsm transitions on `field`, for the model's bases.

        django-fsm collects a model's transitions from its members when the class is prepared,
        so they must be there, inherited, before that: a class decorator would come too late.
        """
        members = {move.name: _transition_method(move, field) for move in self.moves}
        return type("CarrierProgressTransitions", (), members)


def _transition_method(move: Move, field: str):
    def take(self):
        pass

    take.__name__ = take.__qualname__ = move.name
    take.__doc__ = move.meaning
    return transition(field=field, source=list(move.sources), target=move.target)(take)
