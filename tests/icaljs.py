"""Mozilla's ical.js (the parser of Thunderbird), run with the machine's Node.js.

It is installed once with npm into tests/.artifacts (git-ignored). Without node or
npm the tests that need it are skipped, unless PERCHE_REQUIRE_BROWSER=1 (CI), where
a missing parser is a failure.
"""

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

VERSION = "2.2.1"
HOME = Path(__file__).resolve().parent / ".artifacts" / "icaljs"
MODULE = HOME / "node_modules" / "ical.js" / "dist" / "ical.js"

# Reads one feed from stdin; prints the calendar, its events and any warning ical.js gave.
SCRIPT = r"""
const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => warnings.push(args.map(String).join(" "));
}
const ICAL = (await import(process.argv[1])).default;
let text = "";
for await (const chunk of process.stdin) text += chunk;
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(zone);
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    location: event.location,
    description: event.description,
    status: vevent.getFirstPropertyValue("status"),
    url: vevent.getFirstPropertyValue("url"),
    start: event.startDate.toUnixTime(),
    end: event.endDate.toUnixTime(),
    zone: event.startDate.zone ? event.startDate.zone.tzid : null,
    dtstamp: vevent.getFirstPropertyValue("dtstamp").toUnixTime(),
  };
});
console.log = console.info;
process.stdout.write(JSON.stringify({
  prodid: calendar.getFirstPropertyValue("prodid"),
  version: calendar.getFirstPropertyValue("version"),
  name: calendar.getFirstPropertyValue("x-wr-calname"),
  zones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
  events,
  warnings,
}));
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("PERCHE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ical.js is required (PERCHE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"ical.js cannot run: {reason} (set PERCHE_REQUIRE_BROWSER=1 to make this a failure)")


class IcalJs:
    def __init__(self, node: str) -> None:
        self.node = node

    @classmethod
    def ready(cls) -> "IcalJs":
        """Install ical.js on first use (one process at a time), or skip/fail with the reason."""
        node, npm = shutil.which("node"), shutil.which("npm")
        if not node or not npm:
            _unavailable("node or npm is not installed")
            raise AssertionError("unreachable")
        HOME.mkdir(parents=True, exist_ok=True)
        with (HOME / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not MODULE.exists():
                done = subprocess.run(
                    [
                        npm,
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--no-save",
                        "--prefix",
                        str(HOME),
                        f"ical.js@{VERSION}",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                if done.returncode != 0 or not MODULE.exists():
                    _unavailable(f"`npm install ical.js@{VERSION}` failed: {done.stderr.strip()[-500:]}")
        return cls(node)

    def read(self, feed: str) -> dict[str, Any]:
        done = subprocess.run(
            [self.node, "--input-type=module", "-e", SCRIPT, MODULE.as_uri()],
            input=feed,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"ical.js refused the feed: {done.stderr.strip()}"
        result: dict[str, Any] = json.loads(done.stdout)
        return result
