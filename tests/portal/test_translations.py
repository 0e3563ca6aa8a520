"""Chinese is the default language, so every string the code marks for translation must have one.

The compiled catalogue (.mo) is committed so `make run` works without gettext; these tests keep it
honest: re-extracting the strings from the code finds nothing untranslated, and the .mo says
exactly what the .po says.
"""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

needs_gettext = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext (apt-get install gettext)")


@needs_gettext
def test_every_string_in_the_code_has_a_chinese_translation(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT, copy,
        ignore=shutil.ignore_patterns(".venv", "node_modules", ".git", "test-artifacts", "staticfiles", "media", "*.sqlite3",
                                      ".pytest_cache", ".ruff_cache", "__pycache__"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete", "--no-location", "--ignore", "tests/*"],
        cwd=copy, check=True, capture_output=True, text=True, timeout=300,
    )
    extracted = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    untranslated = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", str(extracted)],
                                  capture_output=True, text=True, check=True).stdout
    fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", str(extracted)],
                           capture_output=True, text=True, check=True).stdout
    missing = [line for line in untranslated.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
    assert not missing, "untranslated strings (run `make messages` and translate them):\n" + "\n".join(missing[:40])
    assert 'msgid "' not in fuzzy.split("\n\n", 1)[-1], "fuzzy translations left in the catalogue"


@needs_gettext
def test_the_committed_mo_matches_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True, capture_output=True)
    with fresh.open("rb") as a, MO.open("rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog, "run `make messages` and commit the .mo"


def test_the_interface_is_chinese_by_default(client, db):
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "党群服务站" in page
