"""axe-core (from the npm registry) run inside Chromium pages: the accessibility check.

Installed once with npm into tests/.artifacts (git-ignored); without npm the tests
that need it are skipped, unless PERCHE_REQUIRE_BROWSER=1 (CI), where it is a failure.
"""

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

VERSION = "4.10.3"
HOME = Path(__file__).resolve().parent / ".artifacts" / "axe"
SCRIPT = HOME / "node_modules" / "axe-core" / "axe.min.js"


def _unavailable(reason: str) -> None:
    if os.environ.get("PERCHE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"axe-core is required (PERCHE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"no axe-core: {reason}")


def axe_script() -> Path:
    HOME.mkdir(parents=True, exist_ok=True)
    with (HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not SCRIPT.exists():
            npm = shutil.which("npm")
            if not npm:
                _unavailable("npm is not installed")
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(HOME), f"axe-core@{VERSION}"],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0 or not SCRIPT.exists():
                _unavailable(f"`npm install axe-core@{VERSION}` failed: {done.stderr.strip()[-500:]}")
    return SCRIPT


async def serious_violations(page: Any) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, as a tester's console would: a <script> tag added to
        # the page would be refused by Perche's Content-Security-Policy, as it should be.
        session = await page.context.new_cdp_session(page)
        await session.send("Runtime.evaluate", {"expression": axe_script().read_text(encoding="utf-8")})
        await session.detach()
    result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
