"""Update the translation catalogues and compile them: `make messages`.

1. `manage.py makemessages` (GNU gettext's xgettext, `apt-get install gettext`) gathers every
   string marked for translation in our Python and templates into locale/<lang>/LC_MESSAGES/django.po:
   new ones arrive empty, changed ones fuzzy, gone ones are dropped.
2. Each .po is compiled to its .mo with polib (pure Python, pinned in requirements-test.txt), so
   compiling needs no gettext tools; the .mo files are committed, and `make run` needs nothing.

apps/portal/tests/test_translations.py fails while an entry is untranslated or fuzzy, while a .mo
differs from its .po, and while makemessages would add a string the catalogue lacks (docs/i18n.md).
"""

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["zh_Hans", "de", "fr", "es"]
# What makemessages reads: our apps and templates, not the virtualenv, tests, docs or build output.
IGNORE = ["staticfiles/*", "var/*", "bench/*", "scripts/*", "*/tests/*", "tests/*", "docs/*", "locale/*"]
MAKEMESSAGES_ARGS = [
    *(f"--locale={code}" for code in LOCALES),
    "--add-location=file",  # file names only: line numbers would conflict on every merge
    "--no-obsolete",
    "--no-wrap",
    *(f"--ignore={pattern}" for pattern in IGNORE),
]


def catalogues(root: Path = ROOT) -> list[Path]:
    return sorted((root / "locale").glob("*/LC_MESSAGES/django.po"))


def compile_catalogue(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))


def main(argv: list[str]) -> int:
    if "--compile-only" not in argv:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "logistics.settings.dev"),
        }
        subprocess.run([sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_ARGS], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own command line)
    for path in catalogues():
        compile_catalogue(path)
        po = polib.pofile(str(path))
        todo = len(po.untranslated_entries()) + len(po.fuzzy_entries())
        print(f"{path.relative_to(ROOT)}: {po.percent_translated()}% translated, {todo} to do")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
