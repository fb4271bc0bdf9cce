"""`perche judging rank SCORES.csv`: the jury model's standings from a file of scores, as JSON."""

import csv
import io
import json
import sys
from pathlib import Path

from services.kit.jury_model import CriterionScale, Mark, rank

COLUMNS = ("juror", "team", "criterion", "score")
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


def read_marks(text: str, maxima: dict[str, int]) -> list[Mark]:
    """The marks of a CSV file; BadInput names the first wrong row and what is wrong."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadInput("row 1", f"missing column {', '.join(missing)} (the columns are {','.join(COLUMNS)})")
    reader.fieldnames = header
    marks: list[Mark] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        where = f"row {line}"
        for column in COLUMNS:
            if not values[column]:
                raise BadInput(where, f"no {column}")
        top = maxima.get(values["criterion"], DEFAULT_MAX)
        try:
            points = float(values["score"])
        except ValueError:
            raise BadInput(where, f"score {values['score']!r} is not a number") from None
        if not 0 <= points <= top:
            raise BadInput(where, f"score {values['score']} is off the scale 0–{top} of {values['criterion']}")
        key = (values["juror"], values["team"], values["criterion"])
        if key in seen:
            raise BadInput(
                where, f"juror {key[0]} already scored team {key[1]} on {key[2]} (row {seen[key]}): a duplicate"
            )
        seen[key] = line
        marks.append(Mark(values["juror"], values["team"], values["criterion"], points))
    if not marks:
        raise BadInput("file", "no scores")
    return marks


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
