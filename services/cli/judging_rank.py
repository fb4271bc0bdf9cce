"""`perche judging rank SCORES.csv`: the jury model's standings from a file of scores, as JSON."""

import json
import sys
from pathlib import Path

from services.kit.jury_model import CriterionScale, Mark, rank
from services.kit.score_sheet import HEADER, SheetProblem, read_sheet

DEFAULT_MAX = 10


class BadInput(Exception):
    """A problem with the file or the options; `where` says which row or option."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


def _pairs(text: str | None, option: str) -> dict[str, int]:
    """`impact=3,pitch=1` -> {"impact": 3, "pitch": 1}."""
    found: dict[str, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        try:
            number = int(value)
        except ValueError:
            number = -1
        if not sep or not name or number < (1 if option == "--max" else 0):
            raise BadInput(option, f"{part.strip()!r} is not name=whole number")
        found[name] = number
    return found


def _words(problem: SheetProblem) -> str:
    match problem.kind:
        case "columns":
            return f"missing column {problem.detail} (the columns are {HEADER})"
        case "unreadable":
            return "not a CSV file that can be read"
        case "empty_cell":
            return f"no {problem.detail}"
        case "not_a_number":
            return f"score {problem.detail!r} is not a number"
        case "duplicate":
            juror, team, criterion = problem.key
            return f"juror {juror} already scored team {team} on {criterion} (row {problem.detail}): a duplicate"
        case "no_rows":
            return "no scores"


def read_marks(text: str, maxima: dict[str, int]) -> list[Mark]:
    """The marks of a CSV file (services/kit/score_sheet.py); BadInput names the first wrong row."""
    rows, problems = read_sheet(text)
    found = [(p.line, _words(p)) for p in problems]
    for row in rows:
        top = maxima.get(row.criterion, DEFAULT_MAX)
        if not 0 <= row.score <= top:
            found.append((row.line, f"score {row.written} is off the scale 0–{top} of {row.criterion}"))
    if found:
        line, words = min(found, key=lambda f: f[0])
        if problems and problems[0].kind == "no_rows":
            raise BadInput("file", words)
        raise BadInput(f"row {line}", words)
    return [Mark(r.juror, r.team, r.criterion, r.score) for r in rows]


def ranking(text: str, weights_option: str | None, max_option: str | None) -> list[dict[str, object]]:
    weights = _pairs(weights_option, "--weights")
    maxima = _pairs(max_option, "--max")
    marks = read_marks(text, maxima)
    criteria_seen = sorted({m.criterion for m in marks})
    for option, named in (("--weights", weights), ("--max", maxima)):
        for name in named:
            if name not in criteria_seen:
                raise BadInput(option, f"unknown criterion {name!r} (the file has {', '.join(criteria_seen)})")
    criteria = [CriterionScale(c, maxima.get(c, DEFAULT_MAX), weights.get(c, 1)) for c in criteria_seen]
    if not any(c.weight for c in criteria):
        raise BadInput("--weights", "every weight is 0")
    return [
        {
            "team": p.team,
            "rank": p.rank,
            "score": p.score,
            "raw_mean": p.raw,
            "error": p.error,
            "rank_range": [p.best, p.worst],
            "too_close": p.too_close,
            "jurors": p.jurors,
        }
        for p in rank(marks, criteria)
    ]


def run_rank(path: Path, weights: str | None, maxima: str | None) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: {path}: cannot be read ({error})", file=sys.stderr)
        return 1
    try:
        result = ranking(text, weights, maxima)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
