"""`perche teams form PARTICIPANTS.csv`: teams from an organiser's spreadsheet, by the service's own algorithm.

JSON on stdout (teams and violations), a readable summary on stderr. A bad file is
answered with the line and the problem, exit status 1, and nothing on stdout.
"""

import csv
import json
import sys
from pathlib import Path

from services.kit.team_formation import (
    LEVELS,
    Experience,
    Formation,
    Person,
    Problem,
    Violation,
    form,
    team_count,
)
from services.kit.team_words import explain

COLUMNS = ("name", "email", "skills", "codes", "experience", "challenges", "together_with", "not_with")
# Skills that make someone a domain expert when the file has no `domain_expert` column.
DOMAIN_SKILLS = ("agriculture", "agricultrice", "agriculteur", "élevage", "maraîchage", "farming", "farmer")
YES, NO = ("yes", "oui", "y", "1", "true"), ("no", "non", "n", "0", "false")


class BadFile(Exception):
    """The file cannot be read as participants: says where and why."""


def _items(cell: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (cell or "").split(";") if item.strip())


def _yes_no(cell: str | None, line: int, column: str) -> bool:
    value = (cell or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise BadFile(f"line {line}: {column} is {cell!r}, expected yes or no")


def read_participants(path: Path, min_size: int, max_size: int, domain_skills: tuple[str, ...]) -> Problem:
    """The file as a formation problem; raises BadFile with the line and the problem."""
    if min_size < 1 or max_size < min_size:
        raise BadFile(f"impossible sizes: --min {min_size} --max {max_size} (need 1 <= min <= max)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BadFile(f"cannot read {path}: {error}") from error
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BadFile(f"line 1: missing column(s): {', '.join(missing)} (expected header: {','.join(COLUMNS)})")
    domain = {s.lower() for s in domain_skills}
    people: list[Person] = []
    lines: dict[str, int] = {}
    links: list[tuple[int, str, str, str]] = []  # line, column, from, to
    challenges: list[str] = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise BadFile(f"line {line}: more cells than columns")
        name = (row["name"] or "").strip()
        if not name:
            if not any((v or "").strip() for v in row.values()):
                continue  # a blank line in the spreadsheet
            raise BadFile(f"line {line}: name is empty")
        if name in lines:
            raise BadFile(f"line {line}: {name!r} already appears on line {lines[name]}")
        experience = (row["experience"] or "").strip().lower()
        if experience not in LEVELS:
            raise BadFile(
                f"line {line} ({name}): experience is {row['experience']!r}, expected one of {', '.join(LEVELS)}"
            )
        skills = _items(row["skills"])
        if "domain_expert" in row:
            expert = _yes_no(row["domain_expert"], line, "domain_expert")
        else:
            expert = any(s.lower() in domain for s in skills)
        ranked = _items(row["challenges"])
        if len(set(ranked)) != len(ranked):
            raise BadFile(f"line {line} ({name}): a challenge is ranked twice")
        challenges.extend(c for c in ranked if c not in challenges)
        level: Experience = LEVELS[LEVELS.index(experience)]  # type: ignore[assignment]
        people.append(Person(name, name, skills, _yes_no(row["codes"], line, "codes"), level, expert, ranked))
        lines[name] = line
        links.extend(
            (line, column, name, other) for column in ("together_with", "not_with") for other in _items(row[column])
        )
    together: list[tuple[str, str]] = []
    apart: list[tuple[str, str]] = []
    for line, column, name, other in links:
        if other not in lines:
            raise BadFile(f"line {line} ({name}): {column} names {other!r}, who is not in the file")
        if other == name:
            raise BadFile(f"line {line} ({name}): {column} names the person themselves")
        pair = (name, other) if name < other else (other, name)
        target = together if column == "together_with" else apart
        if pair not in target:
            target.append(pair)
    if team_count(len(people), min_size, max_size) is None:
        raise BadFile(f"impossible sizes: {len(people)} people cannot make teams of {min_size} to {max_size}")
    return Problem(tuple(people), tuple(challenges), min_size, max_size, together=tuple(together), apart=tuple(apart))


def as_json(formation: Formation) -> dict[str, object]:
    """The shape of the issue: teams (members by name, challenge, score) and violations."""
    return {
        "teams": [{"members": list(t.members), "challenge": t.challenge, "score": t.score} for t in formation.teams],
        "violations": [
            {"rule": v.rule, "people": list(v.people), "team": None if v.team is None else v.team + 1, "note": v.note}
            for v in formation.violations
        ],
    }


def describe(violation: Violation, lang: str) -> str:
    """What could not be met, and for whom."""
    who = ", ".join(violation.people)
    team = "" if violation.team is None else f" {violation.team + 1}"
    if lang == "fr":
        return {
            "size": f"taille hors des bornes pour l'équipe{team} ({who})",
            "together": f"« ensemble » non respecté : {who}",
            "apart": f"« séparés » non respecté dans l'équipe{team} : {who}",
            "coder": f"personne ne code dans l'équipe{team} ({who})"
            + (" : pas assez de personnes qui codent" if violation.note == "not_enough_coders" else ""),
        }[violation.rule]
    return {
        "size": f"size out of bounds for team{team} ({who})",
        "together": f"'together' not met: {who}",
        "apart": f"'apart' not met in team{team}: {who}",
        "coder": f"nobody codes in team{team} ({who})"
        + (": not enough people who code" if violation.note == "not_enough_coders" else ""),
    }[violation.rule]


def summary(formation: Formation, lang: str) -> str:
    lines = []
    for n, team in enumerate(formation.teams, start=1):
        label = "Équipe" if lang == "fr" else "Team"
        challenge = team.challenge or "—"
        lines.append(f"{label} {n} · {challenge} · {team.score:g}/100 : {', '.join(team.members)}")
        lines.append(f"  {explain(team.facts, lang)}")
    if formation.violations:
        lines.append("Règles non respectées :" if lang == "fr" else "Rules not met:")
        lines.extend(f"  - {describe(v, lang)}" for v in formation.violations)
    else:
        lines.append("Toutes les règles sont respectées." if lang == "fr" else "Every rule is met.")
    return "\n".join(lines)


def run_teams_form(
    path: Path, min_size: int, max_size: int, seed: int, lang: str, domain_skills: tuple[str, ...]
) -> int:
    try:
        problem = read_participants(path, min_size, max_size, domain_skills)
    except BadFile as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    formation = form(problem, seed=seed)
    print(summary(formation, lang), file=sys.stderr)
    print(json.dumps(as_json(formation), ensure_ascii=False, indent=2))
    return 0
