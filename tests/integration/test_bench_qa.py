"""`perche bench qa` in a short run (20 streams, 3 s, lower rates), so the bench cannot rot; no timing asserted."""

import subprocess
import sys


def test_bench_qa_short_run_shows_every_approved_question_on_the_projector_without_a_5xx() -> None:
    script = (
        "import sys; from services.bench.qa import run_bench_qa;"
        " sys.exit(run_bench_qa(connections=20, seconds=3, questions_per_second=5, votes_per_second=10))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    # 0: target met, 1: missed (a loaded machine may miss it); 2: an approved question never
    # reached the projector or a reply was a 5xx (the bench prints which), as is an exception.
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert "every approved question reached the projector; no 5xx" in run.stdout
    assert "15 questions asked, 15 approved, 15 shown on the projector" in run.stdout
    for row in ("approval sent → projector shows it", "approval POST → 303", "vote POST → reply"):
        assert row in run.stdout
