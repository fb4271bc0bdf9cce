"""Pure rules of prizes: the prizes that may be published, and what a correction changed."""

from schemas.errors import Rejected
from schemas.judging import Standings
from schemas.publishing import Prize, Results, ResultsChange


def checked_prizes(prizes: list[Prize], standings: Standings) -> list[Prize]:
    """The prizes as published, each with its winner's name; raises Rejected and keeps nothing otherwise."""
    absent = {t.id for t in standings.absent}
    names = {s.team.id: s.team.name for s in standings.standings}
    challenges = {track.challenge for track in standings.tracks} | {
        s.team.challenge for s in standings.standings if s.team.challenge
    }
    checked: list[Prize] = []
    for index, prize in enumerate(prizes):
        field = f"prizes.{index}"
        title = prize.title.strip()
        if not title:
            raise Rejected("invalid", "Give each prize a title", field=f"{field}.title", key="prize_title_required")
        if prize.team in absent:
            raise Rejected(
                "invalid", "An absent team cannot win a prize", field=f"{field}.team", key="prize_team_absent"
            )
        if prize.team not in names:
            raise Rejected(
                "invalid", "This team is not in the standings", field=f"{field}.team", key="prize_unknown_team"
            )
        if prize.kind == "track" and prize.challenge not in challenges:
            raise Rejected(
                "invalid", "Say which challenge this prize is for", field=f"{field}.challenge", key="prize_challenge"
            )
        if prize.kind == "partner" and not prize.partner.strip():
            raise Rejected(
                "invalid", "Name the partner who gives this prize", field=f"{field}.partner", key="prize_partner"
            )
        checked.append(
            Prize(
                kind=prize.kind,
                title=title,
                title_en=prize.title_en.strip(),
                challenge=prize.challenge if prize.kind == "track" else None,
                partner=prize.partner.strip() if prize.kind == "partner" else "",
                team=prize.team,
                team_name=names[prize.team],
                line=prize.line.strip(),
                line_en=prize.line_en.strip(),
            )
        )
    return checked


def _key(prize: Prize) -> tuple[str, str | None, str]:
    return (prize.kind, prize.challenge, prize.title)


def changes(before: Results, after: Results) -> list[ResultsChange]:
    """What `after` changed against `before`: winners, lines, prizes added or removed, the ranking."""
    found: list[ResultsChange] = []
    old = {_key(p): p for p in before.prizes}
    new = {_key(p): p for p in after.prizes}
    for key, prize in new.items():
        was = old.get(key)
        if was is None:
            found.append(
                ResultsChange(kind="prize_added", prize=prize.title, prize_en=prize.title_en, after=prize.team_name)
            )
            continue
        if was.team != prize.team:
            found.append(
                ResultsChange(
                    kind="winner",
                    prize=prize.title,
                    prize_en=prize.title_en,
                    before=was.team_name,
                    after=prize.team_name,
                )
            )
        if (was.line, was.line_en) != (prize.line, prize.line_en):
            found.append(
                ResultsChange(
                    kind="line", prize=prize.title, prize_en=prize.title_en, before=was.line, after=prize.line
                )
            )
    for key, prize in old.items():
        if key not in new:
            found.append(
                ResultsChange(kind="prize_removed", prize=prize.title, prize_en=prize.title_en, before=prize.team_name)
            )
    ranking_before = [(line.rank, line.team) for line in before.lines]
    ranking_after = [(line.rank, line.team) for line in after.lines]
    if ranking_before != ranking_after:
        found.append(
            ResultsChange(
                kind="ranking",
                before=", ".join(line.team_name for line in before.lines[:3]),
                after=", ".join(line.team_name for line in after.lines[:3]),
            )
        )
    return found
