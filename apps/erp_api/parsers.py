"""The API's JSON parser: DRF's, refusing bodies nested deeper than `API_MAX_JSON_DEPTH`.

No order is nested more than a few levels; a body of thousands of brackets only makes Python's
parser recurse until it fails (a RecursionError, which would be a 500) or makes every later walk
over the data slow. Either way it is the client's mistake: 400 `parse_error`.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _depth(data) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth(data) > limit
        if too_deep:
            raise ParseError(f"JSON parse error - the body is nested deeper than {limit} levels.")
        return data
