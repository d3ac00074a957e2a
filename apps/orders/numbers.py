"""Public order numbers: the id in Crockford base32 with a check symbol.

Crockford's alphabet leaves out I, L, O and U, so a number read aloud or typed from a label
cannot be confused; the check symbol (value mod 37) catches a mistyped or swapped character.
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}


def encode(order_id: int) -> str:
    digits = []
    value = order_id
    while True:
        value, rest = divmod(value, 32)
        digits.append(ALPHABET[rest])
        if value == 0:
            break
    body = "".join(reversed(digits))
    return body + CHECK_ALPHABET[order_id % 37]


def decode(number: str) -> int | None:
    """The id behind a public number, or None when it is malformed or its check fails."""
    cleaned = number.strip().upper().replace("-", "").replace(" ", "")
    if len(cleaned) < 2:
        return None
    body, check = cleaned[:-1], cleaned[-1]
    value = 0
    for char in body:
        if char not in _DECODE:
            return None
        value = value * 32 + _DECODE[char]
    if CHECK_ALPHABET[value % 37] != check:
        return None
    return value
