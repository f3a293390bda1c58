"""``manage.py run`` serves the shop as a visitor should see it (issue #16 item 6): DEBUG off, a
secret key made once and kept in var/, static files collected and served by WhiteNoise with
hashed names, the site's own 404 page; DEBUG=1 still turns the debug pages on."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings

from hearth.core.management.commands.run import server_environment
from hearth.core.secret_key import DEV_SECRET_KEY, persisted_secret_key
from hearth.core.tests.test_serve import free_port, wait_until

ROOT = Path(django_settings.BASE_DIR)
CLEAN = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "HEARTH_STATIC", "HEARTH_ENV", "HEARTH_VAR_DIR")


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    return env | {"HEARTH_VAR_DIR": str(var_dir)} | extra


def _settings_key(var_dir: Path, **extra: str) -> str:
    """SECRET_KEY as a fresh process reads its settings."""
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=_env(var_dir, DJANGO_SETTINGS_MODULE="hearth.settings", **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_the_run_serves_with_debug_off_unless_debug_is_set() -> None:
    off = server_environment({"PATH": "/bin"})
    assert (off["DEBUG"], off["HEARTH_STATIC"]) == ("0", "collected")
    on = server_environment({"DEBUG": "1", "HEARTH_STATIC": "collected"})
    assert on["DEBUG"] == "1" and "HEARTH_STATIC" not in on
    assert server_environment({"DEBUG": "off"})["HEARTH_STATIC"] == "collected"


def test_a_made_key_is_kept_private_and_read_back_the_same(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret_key"
    first = persisted_secret_key(key_file)
    assert len(first) >= 50 and first != DEV_SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert persisted_secret_key(key_file) == first
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = set(pool.map(persisted_secret_key, [key_file] * 8))
    assert keys == {key_file.read_text().strip()}


def test_settings_use_the_machines_key_once_made_debug_on_or_off(tmp_path: Path) -> None:
    assert _settings_key(tmp_path, DEBUG="1") == DEV_SECRET_KEY  # tests, before any run
    made = _settings_key(tmp_path, DEBUG="0")  # the run's processes
    assert made != DEV_SECRET_KEY
    assert (tmp_path / "secret_key").read_text().strip() == made
    assert _settings_key(tmp_path, DEBUG="1") == made  # a later `manage.py shell` reads its data
    assert _settings_key(tmp_path, DEBUG="0", SECRET_KEY="x" * 60) == "x" * 60


@pytest.mark.serve
def test_the_run_command_serves_the_shop_with_debug_off(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "run", "--port", str(port), "--no-worker"],
            cwd=ROOT,
            env=_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until("the shop answers", lambda: _answers(f"{base}/healthz"), 300, log)
        printed = log.read_text(errors="replace")
        assert "Demo staff logins" in printed and "demo.customer@example.com" in printed
        assert "DEBUG:       off" in printed
        key_file = tmp_path / "secret_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

        with httpx.Client(base_url=base, timeout=20) as browser:
            home = browser.get("/")
            assert home.status_code == 200
            sheet = re.search(r'href="(/static/web/site\.[0-9a-f]{12}\.css)"', home.text)
            assert sheet, "the style sheet by its hashed, collected name"
            css = browser.get(sheet.group(1), headers={"accept-encoding": "gzip"})
            assert css.status_code == 200 and ":root" in css.text
            assert "immutable" in css.headers["cache-control"]
            assert css.headers.get("content-encoding") == "gzip"

            missing = browser.get("/no-such-page/")
            assert missing.status_code == 404
            assert "We could not find that page" in missing.text
            assert "URLconf" not in missing.text  # never the debug page listing the routes

            # The demo customer's orders, encrypted by load_demo's process, read by the
            # server's: both processes of the run have the same key.
            number = re.search(r"(EO-\d{8}), delivered", printed)
            assert number
            form = browser.get("/sign-in/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert token
            signed_in = browser.post(
                "/sign-in/",
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "email": "demo.customer@example.com",
                    "password": "ember-and-oak-customer",
                },
                headers={"referer": f"{base}/sign-in/"},
            )
            assert signed_in.status_code == 302, signed_in.text[-2000:]
            orders = browser.get("/my-stuff/orders/")
            assert orders.status_code == 200
            assert number.group(1) in orders.text
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 0, log.read_text(errors="replace")[-3000:]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
