"""Every environment variable a setting reads is documented in docs/configuration.md, so an
operator finds each knob, with its default, in one table."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# env("NAME"...), env.int("NAME"...), os.environ.get("NAME"...), os.environ["NAME"]
READS = re.compile(r"""(?:\benv(?:\.\w+)?\(|os\.environ(?:\.get\(|\[))\s*["']([A-Z][A-Z0-9_]+)["']""")


def _variables_read() -> set[str]:
    read = set()
    for path in [*(ROOT / "logistics" / "settings").glob("*.py"), ROOT / "conftest.py"]:
        read |= set(READS.findall(path.read_text()))
    return read


def test_every_variable_the_settings_read_is_documented():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text(), re.M))

    assert _variables_read() - documented == set()


def test_the_reader_finds_the_forms_settings_use():
    sample = 'A = env("ONE")\nB = env.int("TWO", default=1)\nC = os.environ.get("THREE", "")\nD = os.environ["FOUR"]'

    assert set(READS.findall(sample)) == {"ONE", "TWO", "THREE", "FOUR"}
