"""The order's shape is written three times: in the serializers, which the OpenAPI schema
documents; in the fast input path (fast_input.py); and in the hand-written answers (output.py).
These tests walk the served schema field by field, so a field added to, dropped from or retyped
in one of them and not in the others fails here."""

import ast
import copy
import dataclasses
import re
from datetime import datetime
from pathlib import Path

import pytest

from apps.erp_api import fast_input
from apps.erp_api.fast_input import read_order
from apps.erp_api.output import order_detail, order_summary
from apps.erp_api.serializers import OrderDetailOutput, OrderInput, OrderOutput
from apps.orders.models import Order
from apps.orders.tests.factories import create_order, order_payload

ORDERS = "/api/v1/orders/"
ORDER = "/api/v1/orders/{order_id}/"
LONG_LIST = 60  # longer than any list of an order the readers could limit without saying so


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/", {"format": "json"}).json()


def _resolve(schema: dict, node: dict) -> dict:
    """The node through `$ref` and a one-member `allOf` (keeping the outer default or
    nullability); of a `oneOf`, the first member (the other is the empty string a blank-allowed
    field also takes)."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif "allOf" in node:
            outer = {k: v for k, v in node.items() if k != "allOf"}
            node = _resolve(schema, node["allOf"][0]) | outer
        elif "oneOf" in node:
            outer = {k: v for k, v in node.items() if k != "oneOf"}
            node = _resolve(schema, node["oneOf"][0]) | outer
        else:
            return node


def _fields(schema: dict, node: dict, path: tuple = ()):
    """(path, schema, required) of every property below `node`; a list is entered at index 0."""
    node = _resolve(schema, node)
    if node.get("type") == "array":
        yield from _fields(schema, node["items"], (*path, 0))
    elif node.get("type") == "object":
        for name, prop in node["properties"].items():
            yield (*path, name), _resolve(schema, prop), name in node.get("required", [])
            yield from _fields(schema, prop, (*path, name))


def _objects(schema: dict, node: dict, path: tuple = ()):
    """(path, declared property names) of every object of the shape, the root included."""
    node = _resolve(schema, node)
    if node.get("type") == "array":
        yield from _objects(schema, node["items"], (*path, 0))
    elif node.get("type") == "object":
        yield path, set(node["properties"])
        for name, prop in node["properties"].items():
            yield from _objects(schema, prop, (*path, name))


def _body_schema(schema: dict, method: str, path: str, status: str | None = None) -> dict:
    operation = schema["paths"][path][method]
    content = operation["requestBody"] if status is None else operation["responses"][status]
    return content["content"]["application/json"]["schema"]


def _with(payload: dict, path: tuple, value) -> dict:
    """A copy of the payload with the field at `path` set to `value` (or removed, for _ABSENT)."""
    changed = copy.deepcopy(payload)
    target = changed
    for step in path[:-1]:
        target = target[step]
    if value is _ABSENT:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return changed


_ABSENT = object()


def _value_at(payload: dict, path: tuple):
    target = payload
    for step in path:
        if isinstance(target, dict) and step not in target:
            return _ABSENT
        target = target[step]
    return target


def _both_accept_alike(payload: dict) -> str | None:
    """None when the fast path takes the payload and reads it as OrderInput does; else why not."""
    fast, judged = read_order(payload), OrderInput(data=payload)
    if not judged.is_valid():
        return f"OrderInput refuses it: {judged.errors}"
    if fast is None:
        return "the fast path steps aside"
    if fast != judged.to_request():
        return f"the fast path reads it otherwise: {_differences(fast, judged.to_request())}"
    return None


def _differences(fast, judged) -> str:
    """Where two requests differ, as `path: fast != judged` (what a long repr would bury)."""

    def leaves(value, path=""):
        if isinstance(value, dict):
            return {k: v for name, item in value.items() for k, v in leaves(item, f"{path}.{name}").items()}
        if isinstance(value, list | tuple):
            return {k: v for i, item in enumerate(value) for k, v in leaves(item, f"{path}[{i}]").items()}
        return {path: value}

    a, b = leaves(dataclasses.asdict(fast)), leaves(dataclasses.asdict(judged))
    return "; ".join(f"{k}: {a.get(k)!r} != {b.get(k)!r}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k))


def _both_refuse(payload: dict) -> str | None:
    if read_order(payload) is not None:
        return "the fast path accepts it"
    if OrderInput(data=payload).is_valid():
        return "OrderInput accepts it"
    return None


_SAMPLES_OF_PATTERN = ["a-post/express", "b.post/economy"]


def _another_valid_value(prop: dict, current):
    """A value the schema allows for the field, other than `current`."""
    if "enum" in prop:
        return next(v for v in prop["enum"] if v not in (current, prop.get("default")))
    if prop["type"] == "integer":
        return prop["minimum"] if current != prop["minimum"] else prop["minimum"] + 1
    if prop.get("format") == "decimal":
        return "7.25" if current != "7.25" else "8.50"
    if prop.get("format") == "email":
        return "changed@example.com"
    if "pattern" in prop:
        return next(v for v in _SAMPLES_OF_PATTERN if v != current and re.fullmatch(prop["pattern"], v))
    length = min(max(5, prop.get("minLength", 0)), prop["maxLength"])
    return "Q" * length if current != "Q" * length else "R" * length


# The request: every declared field is read by the fast path as OrderInput reads it, and nothing else


def test_the_fast_path_reads_every_field_the_schema_declares_for_a_new_order_as_order_input_does(schema):
    base = order_payload()
    baseline = read_order(base)
    problems = []

    for path, prop, required in _fields(schema, _body_schema(schema, "post", ORDERS)):
        name = ".".join(map(str, path))
        without = _with(base, path, _ABSENT)
        if required and (why := _both_refuse(without)):
            problems.append(f"{name} left out: required by the schema, but {why}")
        if not required and (why := _both_accept_alike(without)):
            problems.append(f"{name} left out: optional in the schema, but {why}")
        if prop.get("type") in ("object", "array"):
            continue
        changed = _with(base, path, _another_valid_value(prop, _value_at(base, path)))
        if why := _both_accept_alike(changed):
            problems.append(f"{name} changed: {why}")
        elif read_order(changed) == baseline:
            problems.append(f"{name} changed: the fast path ignores it")

    assert not problems, "\n".join(problems)


def _limits(prop: dict):
    """(value, allowed by the schema) at and across each limit the schema declares for a field."""
    if "enum" in prop:
        yield from ((v, True) for v in prop["enum"])
        yield "not-one-of-them", False
    elif prop.get("type") == "integer":
        low, high = prop["minimum"], prop["maximum"]
        yield from ((low - 1, False), (low, True), (high, True), (high + 1, False))
    elif prop.get("type") == "string" and not {"format", "pattern"} & set(prop):
        low, high = prop.get("minLength", 0), prop["maxLength"]
        if low > 0:
            yield "Q" * (low - 1), False
        yield from (("Q" * low, True), ("Q" * high, True), ("Q" * (high + 1), False))


def test_the_fast_path_and_order_input_keep_the_limits_the_schema_declares(schema):
    base = order_payload()
    problems = []

    for path, prop, _ in _fields(schema, _body_schema(schema, "post", ORDERS)):
        name = ".".join(map(str, path))
        if prop.get("type") == "array":
            first = _value_at(base, (*path, 0))
            low, high = prop.get("minItems", 0), prop.get("maxItems", LONG_LIST)
            cases = [(low, True), (high, True), (high + 1, "maxItems" not in prop)]
            cases += [(low - 1, False)] if low > 0 else []
            values = [([first] * n, allowed) for n, allowed in cases]
        else:
            values = list(_limits(prop))
        for value, allowed in values:
            payload = _with(base, path, value)
            why = _both_accept_alike(payload) if allowed else _both_refuse(payload)
            if why:
                shown = f"{len(value)} entries" if isinstance(value, list) else _shown(value)
                verdict = "allowed" if allowed else "refused"
                problems.append(f"{name} = {shown}: {verdict} by the schema, but {why}")

    assert not problems, "\n".join(problems)


def _shown(value) -> str:
    return f"{len(value)} characters" if isinstance(value, str) and len(value) > 20 else repr(value)


def _names_fast_input_can_read() -> set[str]:
    """Every field-like string in fast_input.py: a field is read by its name, written there."""
    tree = ast.parse(Path(fast_input.__file__).read_text())
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[a-z][a-z_]*", node.value)
    }


def test_the_fast_path_reads_nothing_the_schema_does_not_declare(schema):
    base = order_payload()
    baseline = read_order(base)
    objects = list(_objects(schema, _body_schema(schema, "post", ORDERS)))
    every_declared_name = set().union(*(names for _, names in objects))
    problems = []

    for path, declared in objects:
        for name in sorted((_names_fast_input_can_read() | every_declared_name) - declared):
            for value in ("QQ", 1):
                if read_order(_with(base, (*path, name), value)) != baseline:
                    problems.append(f"{'.'.join(map(str, (*path, name)))} = {value!r} is not declared, but is read")

    assert not problems, "\n".join(problems)


# The answers: output.py writes every declared field, of its declared type, and nothing else


def _mismatches(schema: dict, node: dict, value, path: str = "") -> list[str]:
    node = _resolve(schema, node)
    if value is None:
        return [] if node.get("nullable") else [f"{path}: null, not declared nullable"]
    kind = node.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, declared an object"]
        declared = set(node["properties"])
        found = [f"{path}.{n}: written, not declared" for n in sorted(set(value) - declared)]
        found += [f"{path}.{n}: declared, not written" for n in sorted(declared - set(value))]
        for name in sorted(declared & set(value)):
            found += _mismatches(schema, node["properties"][name], value[name], f"{path}.{name}")
        return found
    if kind == "array":
        if not isinstance(value, list) or not value:
            return [f"{path}: {value!r}, declared a list (and the order has entries)"]
        return [m for i, v in enumerate(value) for m in _mismatches(schema, node["items"], v, f"{path}[{i}]")]
    if kind == "integer":
        return [] if type(value) is int else [f"{path}: {value!r}, declared an integer"]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: {value!r}, declared a string"]
        if node.get("format") == "date-time":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return [f"{path}: {value!r}, declared a date-time"]
        if "pattern" in node and not re.search(node["pattern"], value):
            return [f"{path}: {value!r}, declared as matching {node['pattern']}"]
        return []
    return [f"{path}: declared of type {kind!r}, which this test does not know"]


def test_every_order_answer_writes_each_declared_field_with_its_type_and_nothing_else(
    schema, api_client, cn_de_service
):
    created = api_client.post(ORDERS, order_payload(), format="json")
    order_id = created.json()["id"]
    read = api_client.get(ORDER.format(order_id=order_id))
    listed = api_client.get(ORDERS)

    assert (created.status_code, read.status_code, listed.status_code) == (201, 200, 200)
    list_schema = _resolve(schema, _body_schema(schema, "get", ORDERS, "200"))["properties"]["results"]
    problems = [
        *_mismatches(schema, _body_schema(schema, "post", ORDERS, "201"), created.json(), "created"),
        *_mismatches(schema, _body_schema(schema, "get", ORDER, "200"), read.json(), "read"),
        *_mismatches(schema, list_schema, listed.json()["results"], "listed"),
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "without-a-quote"])
def test_output_writes_an_order_as_its_serializers_do(merchant, cn_de_service, quoted):
    order = create_order(merchant_id=merchant.pk)
    if not quoted:
        Order.objects.filter(pk=order.pk).update(quoted_price=None, quoted_currency="")
    order = Order.objects.get(pk=order.pk)

    assert order_summary(order) == OrderOutput(order).data
    assert order_detail(order, order.parcels.all()) == OrderDetailOutput(order).data
