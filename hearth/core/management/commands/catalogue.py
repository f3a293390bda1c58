"""Keep the translation catalogues in step with the code (issue #16 item 4).

    manage.py catalogue           # extract the marked strings into each catalogue, then compile
    manage.py catalogue --check   # CI: fail when a string marked in the code is missing from the
                                  # committed catalogue, or the committed .mo is not its .po
    manage.py catalogue --fill-from OTHER.po
                                  # after a merge that kept one side's .po: extract, then take
                                  # the other side's translations for entries still untranslated

Extraction is Django's makemessages (it needs GNU gettext's xgettext); compiling uses msgfmt when
present, else polib, so a machine with only Python can still compile. Both the .po and the .mo are
committed: a fresh machine serves French without gettext.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

LOCALES = ["fr_CA"]
# Code no customer or staff member reads: the virtualenv, benchmarks, scripts, tests, and the
# catalogues themselves (a "locale" directory met on the walk would otherwise become the target).
IGNORE = [".venv", "bench", "scripts", "var", "docs", "tests", "*/tests/*", "conftest.py", "locale"]


@contextmanager
def _in(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def extract(locale_dir: Path) -> None:
    """makemessages for LOCALES into ``locale_dir`` (merging with what is there)."""
    if shutil.which("xgettext") is None:
        raise CommandError("Extraction needs GNU gettext (apt-get install gettext).")
    with _in(Path(settings.BASE_DIR)), override_settings(LOCALE_PATHS=[locale_dir]):
        call_command(
            "makemessages",
            locale=LOCALES,
            ignore_patterns=IGNORE,
            no_obsolete=True,
            verbosity=0,
        )


def compile_all(locale_dir: Path) -> None:
    if shutil.which("msgfmt"):
        with override_settings(LOCALE_PATHS=[locale_dir]):
            call_command("compilemessages", locale=LOCALES, verbosity=0)
        return
    import polib

    for po in locale_dir.glob("*/LC_MESSAGES/*.po"):
        polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))


def _keys(po_path: Path) -> set[tuple[str | None, str]]:
    import polib

    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if not e.obsolete}


def missing_strings(locale_dir: Path) -> dict[str, list[str]]:
    """Per catalogue: the strings marked in the code that the committed catalogue lacks."""
    found: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        extract(fresh)
        for po in sorted(fresh.glob("*/LC_MESSAGES/*.po")):
            committed = locale_dir / po.relative_to(fresh)
            have = _keys(committed) if committed.exists() else set()
            lacking = sorted(msgid for _, msgid in _keys(po) - have)
            if lacking:
                found[str(po.relative_to(fresh))] = lacking
    return found


def stale_compilations(locale_dir: Path) -> list[str]:
    """The .mo files that are not the compiled form of their .po."""
    import polib

    stale = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        po = {
            (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
            for e in polib.pofile(str(po_path)).translated_entries()
        }
        mo = {
            (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
            for e in (polib.mofile(str(mo_path)) if mo_path.exists() else [])
        }
        mo.pop((None, ""), None)
        if po != mo:
            stale.append(str(mo_path.relative_to(locale_dir)))
    return stale


def fill_from_catalogue(locale_dir: Path, other: Path) -> int:
    """Give each untranslated (or fuzzy) entry of the catalogue the translation ``other`` has for
    the same (context, message); return how many were filled. Used after two branches each
    translated their own new strings and a merge kept one side's file."""
    import polib

    theirs = {
        (e.msgctxt, e.msgid): e
        for e in polib.pofile(str(other))
        if e.translated() and not e.obsolete
    }
    filled = 0
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        for entry in po:
            if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
                continue
            source = theirs.get((entry.msgctxt, entry.msgid))
            if source is None:
                continue
            entry.msgstr = source.msgstr
            entry.msgstr_plural = dict(source.msgstr_plural)
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
        po.save()
    return filled


class Command(BaseCommand):
    help = "Extract the marked strings into the catalogues and compile them (--check: CI)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
        parser.add_argument(
            "--fill-from",
            type=Path,
            help="after extracting, take this .po's translations for untranslated entries",
        )

    def handle(
        self, *args: Any, check: bool = False, fill_from: Path | None = None, **options: Any
    ) -> None:
        locale_dir = Path(settings.LOCALE_PATHS[0])
        if not check:
            extract(locale_dir)
            if fill_from is not None:
                if not fill_from.is_file():
                    raise CommandError(f"{fill_from}: no such catalogue")
                count = fill_from_catalogue(locale_dir, fill_from)
                self.stdout.write(f"{count} translations taken from {fill_from}.")
            compile_all(locale_dir)
            self.stdout.write("Catalogues extracted and compiled; translate the new entries.")
            return
        problems = [
            f"{catalogue}: {len(ids)} marked strings not in the catalogue, e.g. {ids[0]!r}"
            for catalogue, ids in missing_strings(locale_dir).items()
        ]
        problems += [
            f"{mo}: not the compiled .po (run manage.py catalogue)"
            for mo in stale_compilations(locale_dir)
        ]
        if problems:
            raise CommandError(
                "The catalogues are behind the code (run manage.py catalogue, translate, "
                "commit the .po and the .mo):\n" + "\n".join(problems)
            )
        self.stdout.write("The catalogues hold every marked string and are compiled.")
