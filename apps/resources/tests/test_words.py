"""The routing engine's reasons are English sentences with a code; the portal says each code's
sentence in the merchant's language (apps/resources/words.py)."""

import ast
import pickle
import re
from pathlib import Path

from django.utils import translation

from apps.resources.types import Reason
from apps.resources.words import SENTENCES, reason_text

ROUTING = Path(__file__).resolve().parents[1] / "routing"
SHIPPING = Path(__file__).resolve().parents[2] / "shipping"


def _reasons_made() -> dict[str, set[str]]:
    """Each code the engine (and intake) gives a reason, with its English sentences."""
    made: dict[str, set[str]] = {}
    for path in [*ROUTING.glob("*.py"), SHIPPING / "services.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reason":
                code, english = (arg.value for arg in node.args[:2])
                made.setdefault(code, set()).add(english)
    return made


def test_every_reason_the_engine_gives_has_the_same_sentence_here():
    made = _reasons_made()

    assert set(made) == set(SENTENCES)
    for code, sentences in made.items():
        for english in sentences:
            assert re.sub(r"\{(\w+)\}", r"%(\1)s", english) == str(SENTENCES[code]), code  # in English


def test_a_reason_is_its_english_sentence_and_says_itself_in_chinese(db):
    reason = Reason("too_heavy", "parcel of {grams} g exceeds the {limit} g limit", grams=31000, limit=30000)

    with translation.override("zh-hans"):
        chinese = reason_text(reason)

    assert reason == "parcel of 31000 g exceeds the 30000 g limit" and reason_text(reason) == reason
    assert chinese == "包裹重 31000 克，超过 30000 克的上限"  # noqa: RUF001
    assert pickle.loads(pickle.dumps(reason)).values == {"grams": 31000, "limit": 30000}  # noqa: S301 (our own bytes)
    assert reason_text("a reason from elsewhere") == "a reason from elsewhere"
