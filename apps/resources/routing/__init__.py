"""The routing engine: a compiled, in-process catalogue and the decision over it. No ORM here.

`catalogue.py` builds a `Catalogue` from the database (or a benchmark or a property test builds
one in memory) through `compile_catalogue`; `decide` answers one order from it without I/O.
Rules, formula and strategies: docs/routing.md.

One module per concern, each importing only those listed before it (pyproject.toml checks it):
- `specs`: what a catalogue is made of (services, zones, surcharges, warehouses, postcode areas)
  and the counters a decision reads beside it; the day and cut-off where each works.
- `lanes`: one lane's open services as numpy columns, and their scan; imports nothing of routing.
- `compiling`: `compile_catalogue`, the `Catalogue` and each open `Service` in integer cents.
- `rules`: the reference rules, one service at a time: `check`, `price` and the option made.
- `ranking`: the order of the eligible services by strategy, and the on-time rate.
- `scanning`: a lane's services that take the order, by the columns and the reference rules.
- `deciding`: `decide`, from the scans, the stocked warehouses and the ranking, with exclusions.
"""

from apps.resources.routing.compiling import Catalogue, compile_catalogue
from apps.resources.routing.deciding import decide
from apps.resources.routing.ranking import on_time_rate
from apps.resources.routing.specs import (
    Area,
    Counters,
    ServiceSpec,
    SurchargeSpec,
    WarehouseSpec,
    ZonePrices,
    ZoneSpec,
    local_day,
    normalize_postcode,
)

__all__ = [
    "Area",
    "Catalogue",
    "Counters",
    "ServiceSpec",
    "SurchargeSpec",
    "WarehouseSpec",
    "ZonePrices",
    "ZoneSpec",
    "compile_catalogue",
    "decide",
    "local_day",
    "normalize_postcode",
    "on_time_rate",
]
