import json
import subprocess
import sys

from django.core.management import call_command

from hearth.core.promises import REGISTER, coverage, read_register, unknown_ids


def test_register_copy_has_every_promise_of_both_documents():
    ids = [p.id for p in read_register()]
    assert ids[:3] == ["TOS-1", "TOS-2", "TOS-3"]
    assert "TOS-27" in ids and "PP-21" in ids
    assert len(ids) == 48
    assert len(set(ids)) == len(ids)


def test_coverage_lists_every_id_with_an_empty_list_when_unproven():
    promises = read_register()
    table = coverage(promises, {"TOS-13": ["b", "a", "a"]})
    assert table["TOS-13"] == ["a", "b"]
    assert table["PP-1"] == []
    assert set(table) == {p.id for p in promises}
    assert unknown_ids(promises, {"TOS-99": ["x"]}) == ["TOS-99"]


def test_promises_command_prints_json_with_every_id(capsys, tmp_path):
    html = tmp_path / "promises.html"
    call_command("promises", "--json", "--html", str(html))
    table = json.loads(capsys.readouterr().out)
    assert set(table) == {p.id for p in read_register()}
    assert "TOS-18" in html.read_text()
    assert "hearth/core/tests/test_calendar.py" in " ".join(table["TOS-18"])


def test_register_path_is_the_repo_copy():
    assert REGISTER.name == "PROMISES.md"
    assert REGISTER.parent.name == "docs"


def test_a_marker_naming_an_unknown_promise_fails_the_run(tmp_path):
    test_file = tmp_path / "test_unknown_promise.py"
    test_file.write_text(
        "import pytest\n\n@pytest.mark.promise('TOS-999')\ndef test_x():\n    assert 1 + 1 == 2\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-p", "conftest", "--collect-only", str(test_file)],
        cwd=REGISTER.parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "unknown promise ID 'TOS-999'" in done.stdout + done.stderr
