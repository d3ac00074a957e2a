"""The fast path reads exactly what OrderInput accepts, into the same draft, or steps aside."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.erp_api.fast_input import read_order
from apps.erp_api.serializers import OrderInput
from apps.orders.tests.factories import order_payload
from apps.resources.types import STRATEGIES

TRICKY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2_000_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            " ",
            "\u2003",
            "de",
            "DE",
            " DE ",
            "DEU",
            "usd",
            "USD",
            "12",
            "12.5",
            "12.50",
            "12.505",
            " 12.5",
            "0.00",
            "0.01",
            "1e3",
            "NaN",
            "-1",
            "12345678901.00",
            "1234567890.99",
            "0000000000.5",
            "a\x00b",
            "\ud800",
            "anna@example.com",
            "anna@",
            " anna@example.com ",
            "x" * 201,
            "x" * 101,
            "express",
            "overnight",
            "610910",
            "10115",
        ]
    ),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
)


def _text(max_length: int, exact: int = 0) -> list:
    """Boundary values of a text field of at most `max_length` characters."""
    lengths = {exact - 1, exact, exact + 1} if exact else {max_length, max_length + 1}
    return [*("x" * n for n in lengths if n >= 0), *(" " + "y" * n + " " for n in lengths), "", "  ", "a\x00", "\udc80"]


def _whole(maximum: int) -> list:
    return [0, 1, -1, maximum, maximum + 1, True, "1", 1.0, None]


MONEY = ["0.01", "0.009", "0.00", "0", "1", "1.5", "1.005", "9999999999.99", "99999999999.99", "-1", 1, 1.5, None]
RULES = {
    ("reference",): _text(100),
    ("service_level",): ["express", "standard", "economy", "", "Express", None],
    ("sender", "name"): _text(200),
    ("sender", "country"): _text(2, exact=2),
    ("sender", "postal_code"): _text(20),
    ("sender", "phone"): _text(30),
    ("sender", "line2"): _text(200),
    ("recipient", "email"): ["a@b.co", "a@b", "@b.co", " a@b.co ", "a b@c.de", "x" * 250 + "@b.co", ""],
    ("recipient", "company"): _text(200),
    ("recipient", "city"): _text(100),
    ("recipient", "state"): _text(100),
    ("recipient", "country"): _text(2, exact=2),
    ("parcels",): [[], None, {}, "x"],
    ("parcels", 0, "weight_g"): _whole(1_000_000),
    ("parcels", 0, "length_mm"): _whole(10_000),
    ("parcels", 0, "width_mm"): _whole(10_000),
    ("parcels", 0, "height_mm"): _whole(10_000),
    ("parcels", 0, "items"): [[], None, {}, [None], ["x"]],
    ("parcels", 0, "items", 0, "unit_value"): MONEY,
    ("parcels", 0, "items", 0, "quantity"): _whole(100_000),
    ("parcels", 0, "items", 0, "currency"): _text(3, exact=3),
    ("parcels", 0, "items", 0, "origin_country"): _text(2, exact=2),
    ("parcels", 0, "items", 0, "description"): _text(200),
    ("parcels", 0, "items", 0, "hs_code"): _text(12),
    ("parcels", 0, "items", 0, "sku"): _text(64),
    ("carrier_service",): [
        "test-post/standard",
        " test-post/standard ",
        "test-post/",
        "/standard",
        "a/b/c",
        "a b/c",
        "x" * 50 + "/" + "y" * 50,
        "x" * 51 + "/y",
        "",
        " ",
        None,
        1,
    ],
    ("strategy",): [*STRATEGIES, "", " cheapest", "Cheapest", "slowest", None, 1],
}
PATHS = list(RULES)


def _set(payload, path, value):
    target = payload
    for step in path[:-1]:
        if (isinstance(target, dict) and step in target) or (isinstance(target, list) and step < len(target)):
            target = target[step]
        else:
            return
    if value is _DELETE:
        if isinstance(target, dict):
            target.pop(path[-1], None)
    elif isinstance(target, dict):
        target[path[-1]] = value


_DELETE = object()


CHANGE = st.sampled_from(PATHS).flatmap(
    lambda path: st.tuples(
        st.just(path),
        st.integers(0, 9).flatmap(
            lambda n: st.sampled_from(RULES[path]) if n < 7 else TRICKY if n < 9 else st.just(_DELETE)
        ),
    )
)


def _judge(payload) -> None:
    fast = read_order(payload)
    judged = OrderInput(data=payload)
    valid = judged.is_valid()
    if fast is not None:
        assert valid, judged.errors
        assert fast == judged.to_request()


@pytest.mark.parametrize(
    ("path", "value"), [(path, value) for path, values in RULES.items() for value in [*values, _DELETE]]
)
def test_each_boundary_of_each_field_is_read_alike(path, value):
    payload = order_payload()
    _set(payload, path, copy.deepcopy(value))

    _judge(payload)


@settings(max_examples=800, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(CHANGE, max_size=3))
def test_the_fast_path_never_accepts_what_order_input_refuses_and_reads_the_same(changes):
    payload = copy.deepcopy(order_payload())
    for path, value in changes:
        _set(payload, path, copy.deepcopy(value))

    _judge(payload)


def test_a_plain_order_takes_the_fast_path():
    payload = order_payload()
    payload["recipient"] |= {"country": "de", "postal_code": "10115"}

    fast = read_order(payload)

    assert fast is not None
    judged = OrderInput(data=payload)
    assert judged.is_valid() and fast == judged.to_request()
