"""Every string is translated: the catalogues under locale/ are complete (no empty or fuzzy entry
in Chinese; every string a buyer can see in German, French and Spanish), their placeholders
match, each compiled .mo says what its .po says, makemessages finds no string the catalogues lack,
and no template shows text outside a translation tag. `make messages` fixes the first three."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
_spec = importlib.util.spec_from_file_location("make_messages", ROOT / "scripts" / "messages.py")
make_messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_messages)
IGNORE, LOCALES, MAKEMESSAGES_ARGS = make_messages.IGNORE, make_messages.LOCALES, make_messages.MAKEMESSAGES_ARGS

# The portal's languages, translated whole; the buyer's extra ones, translated where a buyer reads.
PORTAL_LOCALES = ["zh_Hans"]
BUYER_LOCALES = ["de", "fr", "es"]
# Where a buyer's text comes from: the layout, the tracking page, the timeline's sentences, the
# order states and carrier milestones, and the error every text field can show.
BUYER_SOURCES = {
    "templates/base.html",
    "apps/portal/templates/portal/track.html",
    "apps/fulfillment/timeline_words.py",
    "apps/orders/models.py",
    "apps/distribution/models.py",
    "apps/common/text.py",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")


def _catalogue(locale: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"))


def _name(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def test_the_locales_of_the_settings_have_catalogues():
    codes = {code for code, _ in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert {code.replace("zh-hans", "zh_Hans") for code in codes} == set(LOCALES)
    assert set(settings.PORTAL_LANGUAGES) == {"en", "zh-hans"}


@pytest.mark.parametrize("locale", PORTAL_LOCALES)
def test_every_portal_string_is_translated_and_none_is_fuzzy(locale):
    po = _catalogue(locale)

    assert [_name(e) for e in po.untranslated_entries()] == []
    assert [_name(e) for e in po.fuzzy_entries()] == []
    assert len(po) > 300


@pytest.mark.parametrize("locale", BUYER_LOCALES)
def test_every_string_a_buyer_reads_is_translated_and_none_is_fuzzy(locale):
    po = _catalogue(locale)
    buyers = [e for e in po if any(path in BUYER_SOURCES for path, _ in e.occurrences)]

    assert [_name(e) for e in buyers if not e.translated()] == []
    assert [_name(e) for e in po.fuzzy_entries()] == []
    assert len(buyers) > 60


@pytest.mark.parametrize("locale", LOCALES)
def test_a_translation_keeps_the_placeholders_of_its_original(locale):
    wrong = []
    for entry in _catalogue(locale).translated_entries():
        originals = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        wanted = set(PLACEHOLDER.findall(originals[-1]))
        wrong += [(_name(entry), t) for t in translations if set(PLACEHOLDER.findall(t)) != wanted]

    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_each_compiled_catalogue_says_what_its_source_says(locale):
    """A .mo older than its .po (someone translated and forgot `make messages`) fails here."""
    po = _catalogue(locale)
    mo = polib.mofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.mo"))

    def said(catalogue) -> dict:
        return {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in catalogue
            if e.msgid and (e.msgstr or any(e.msgstr_plural.values())) and "fuzzy" not in e.flags
        }

    assert said(mo) == said(po)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext's xgettext")
def test_makemessages_finds_no_string_the_catalogues_lack(tmp_path):
    """Run makemessages on a copy of the code (it writes where it finds locale/) and compare: a
    string marked for translation but not yet in the catalogues fails here; `make messages` adds it."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__", "tests", "*.pyc", "*.mo", "node_modules")
    for name in ("apps", "templates", "logistics", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=skip)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    assert "*/tests/*" in IGNORE

    subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_ARGS],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "logistics.settings.test", "PYTHONPATH": str(copy)},
    )

    for locale in LOCALES:
        before = {_name(e) for e in _catalogue(locale)}
        after = {_name(e) for e in polib.pofile(str(copy / "locale" / locale / "LC_MESSAGES" / "django.po"))}
        assert sorted(after - before) == [], f"{locale}: strings missing from the catalogue; run `make messages`"
        assert sorted(before - after) == [], f"{locale}: strings no longer in the code; run `make messages`"


# Text a template may show untranslated: units and symbols, the same in every language.
NEUTRAL = {"g", "mm", "v", "HS", "WO"}
TAGS = re.compile(r"<[^>]*>")
SHOWN_ATTRIBUTES = re.compile(r'\b(?:alt|title|placeholder|aria-label|data-confirm)="([^"]*)"')


def _outside_translation(source: str) -> tuple[list[str], list[str]]:
    """The words of `source` outside translation tags and template code: in the text, and in the
    attributes a person reads or hears (alt, title, placeholder, aria-label, data-confirm)."""
    text = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    attributes = [value for value in SHOWN_ATTRIBUTES.findall(text) if re.search(r"[^\W\d_]", value)]
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"(?<![\w/])/[\w/.-]*", " ", TAGS.sub(" ", text))  # paths such as /api/docs/ read the same
    words = re.findall(r"[^\W\d_]+", text.replace("&nbsp;", " "))
    return [w for w in words if w not in NEUTRAL], attributes


def _templates() -> list[Path]:
    return [ROOT / "templates" / "base.html", *sorted((ROOT / "apps" / "portal" / "templates").rglob("*.html"))]


@pytest.mark.parametrize("template", _templates(), ids=lambda path: path.name)
def test_a_template_shows_no_text_outside_translation_tags(template):
    words, attributes = _outside_translation(template.read_text())

    assert (words, attributes) == ([], [])


def test_the_template_check_sees_untranslated_text_and_attributes():
    assert _outside_translation('<p>Hello {{ name }}</p><img alt="Logo">') == (["Hello"], ["Logo"])
    assert _outside_translation(
        '<p>{% translate "Hello" %} {% blocktranslate %}Hi {{ x }}{% endblocktranslate %}</p>'
        "<img alt=\"{% translate 'Logo' %}\"> 5 g"
    ) == ([], [])
