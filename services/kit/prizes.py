"""The winner the ranking suggests for a prize, on the organiser's publish form (publishing checks, never suggests)."""

from schemas.judging import Standings


def suggested_winner(standings: Standings, kind: str, challenge: str | None = None) -> str | None:
    """The ranking's first for the overall prize or a track's; the organiser decides, this only suggests."""
    if kind == "overall":
        scored = [s for s in standings.standings if s.given > 0]
        return scored[0].team.id if scored else None
    if kind == "track":
        for track in standings.tracks:
            if track.challenge == challenge:
                scored = [s for s in track.standings if s.given > 0]
                return scored[0].team.id if scored else None
    return None
