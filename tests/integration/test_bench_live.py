"""`perche bench live` in a short run (four jurors), so the bench cannot rot; no timing asserted."""

import subprocess
import sys


def test_bench_live_short_run_stores_every_score_and_prints_the_table() -> None:
    script = "import sys; from services.bench.live import run_bench_live; sys.exit(run_bench_live(jurors=4))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    # 0: target met, 1: missed (a loaded machine may miss it). A score refused 20 times or not
    # stored stops the bench before its table (also with status 1), so the table is checked too.
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert "16 scores in 4 rounds of 4" in run.stdout
    for row in ("score reply (POST → 303)", "reply → organiser's stream event", "submitted → standings fetched"):
        assert row in run.stdout
