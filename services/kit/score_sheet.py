"""Paper scores as a CSV file, `juror,team,criterion,score`: read one way by the CLI and by judging.

Pure: no scale, no juror or team list here, only what the file itself says. Every row is read
and every problem kept, with its row number (1-based, the header being row 1), so a caller can
list them all (judging) or stop at the first (the CLI).
"""

import csv
import io
from typing import Literal, NamedTuple

COLUMNS = ("juror", "team", "criterion", "score")
HEADER = ",".join(COLUMNS)

# What a file itself can get wrong; the caller turns each into its own words.
SheetProblemKind = Literal["columns", "unreadable", "empty_cell", "not_a_number", "duplicate", "no_rows"]


class SheetRow(NamedTuple):
    line: int
    juror: str
    team: str
    criterion: str
    score: float
    # The score as written, for messages.
    written: str


class SheetProblem(NamedTuple):
    line: int
    kind: SheetProblemKind
    # The column missing or empty, the score as written, or the row a duplicate repeats.
    detail: str = ""
    # For a duplicate: the juror, team and criterion it repeats.
    key: tuple[str, str, str] = ("", "", "")


def read_sheet(text: str) -> tuple[list[SheetRow], list[SheetProblem]]:
    """The rows of a CSV file of scores, and every problem found in it, in row order."""
    try:
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error:
        return [], [SheetProblem(1, "unreadable")]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [SheetProblem(1, "columns", ", ".join(missing))]
    reader.fieldnames = header
    rows: list[SheetRow] = []
    problems: list[SheetProblem] = []
    seen: dict[tuple[str, str, str], int] = {}
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            values = {c: str(row.get(c) or "").strip() for c in COLUMNS}
            if not any(values.values()):
                continue  # a blank line says nothing
            empty = [c for c in COLUMNS if not values[c]]
            if empty:
                problems.append(SheetProblem(line, "empty_cell", empty[0]))
                continue
            try:
                points = float(values["score"].replace(",", "."))
            except ValueError:
                problems.append(SheetProblem(line, "not_a_number", values["score"]))
                continue
            if points != points or points in (float("inf"), float("-inf")):
                problems.append(SheetProblem(line, "not_a_number", values["score"]))
                continue
            key = (values["juror"], values["team"], values["criterion"])
            if key in seen:
                problems.append(SheetProblem(line, "duplicate", str(seen[key]), key))
                continue
            seen[key] = line
            rows.append(SheetRow(line, *key, points, values["score"]))
    except csv.Error:
        problems.append(SheetProblem(line + 1, "unreadable"))
    if not rows and not problems:
        problems.append(SheetProblem(1, "no_rows"))
    return rows, problems
