"""`perche demo-day`: people, teams and a jury on a running Perche, to try the hackathon's day
(check-in, teams, the jury's phones, results) without registering everyone by hand.
For trying Perche out only: the addresses are example.org ones and mails go nowhere real."""

import uuid

from schemas.catalog import EventReply, GetEvent
from schemas.errors import ErrorReply
from schemas.judging import GiveScore, Sheet
from schemas.registration import Answer, Register, RegistrationView
from schemas.subjects import Catalog, Judging, Registration, Teams
from schemas.teams import CreateTeam, JoinTeam, Membership, TeamList
from schemas.validation import without_accents
from services.kit.client import ServiceError, call
from services.kit.connection import connect

PEOPLE = [
    "Camille Martin", "Léa Bernard", "Hugo Petit", "Chloé Durand", "Louis Leroy", "Manon Moreau",
    "Jules Simon", "Inès Laurent", "Nathan Michel", "Sarah Garcia", "Théo Roux", "Zoé Fournier",
]  # fmt: skip
TEAMS = [("Les Trayeurs", "traite"), ("Circuit Malin", "circuit-court"), ("Météo Locale", "meteo-parcelle")]
JURORS = ["Claire Moreau", "Marc Dubois"]


def plain(name: str) -> str:
    """« Léa Bernard » → « lea.bernard »: addresses take no accents before the @."""
    return without_accents(name.lower().replace(" ", ".")).encode("ascii", "ignore").decode()


async def demo_day(nats_url: str, slug: str) -> str:
    """Register 12 participants in 3 teams and 2 jurors who scored part of them; returns a summary."""
    nc = await connect(nats_url, "demo-day", attempts=3)
    run = uuid.uuid4().hex[:6]
    try:
        spec = (await call(nc, Catalog.GET_EVENT, GetEvent(slug=slug, include_unpublished=True), EventReply)).event
        participants = [c.id for c in spec.categories if spec.audience_of(c.id) == "participants" and c.public]
        jurors = [c.id for c in spec.categories if spec.audience_of(c.id) == "jurors"]
        if not participants or not spec.challenges:
            problem = f"{slug} has no public participants' category or no challenges"
            raise ServiceError(ErrorReply(code="invalid", message=problem))

        async def register(name: str, category: str, by_organiser: str | None = None) -> RegistrationView:
            answers: dict[str, Answer] = {
                q.id: q.choices[0] for q in spec.questions_for(category) if q.required and q.choices
            }
            # A required ranking question: its first choice (or challenge) ranked first.
            for q in spec.questions_for(category):
                if q.required and q.kind == "ranking":
                    answers[q.id] = [q.choices[0] if q.choices else spec.challenges[0].id]
            command = Register(
                command_id=uuid.uuid4().hex,
                event=slug,
                name=name,
                email=f"{plain(name)}.{run}@example.org",
                consent=True,
                category=category,
                answers=answers,
                by_organiser=by_organiser,
            )
            return await call(nc, Registration.REGISTER, command, RegistrationView)

        people = [await register(name, participants[0]) for name in PEOPLE]
        known = {c.id for c in spec.challenges}
        teams = []
        for i, (name, challenge) in enumerate(TEAMS):
            team_id = f"{uuid.uuid4().hex[:6]}-{i}"
            founder = people[i * 4]
            create = CreateTeam(
                command_id=uuid.uuid4().hex,
                event=slug,
                team_id=team_id,
                name=f"{name} {run}",
                challenge=challenge if challenge in known else None,
                founder=founder.id,
            )
            await call(nc, Teams.CREATE, create, TeamList)
            for member in people[i * 4 + 1 : i * 4 + 3]:
                join = JoinTeam(
                    command_id=uuid.uuid4().hex,
                    event=slug,
                    team_id=team_id,
                    registration=member.id,
                    by_organiser="demo",
                )
                await call(nc, Teams.JOIN, join, Membership)
            teams.append(team_id)
        scored = 0
        for j, name in enumerate(JURORS if jurors and spec.criteria else []):
            juror = await register(name, jurors[0], by_organiser="demo")
            # The first juror has scored every team, the second only the first one: work in progress.
            for t, team_id in enumerate(teams[: len(teams) if j == 0 else 1]):
                for criterion in spec.criteria:
                    points = max(0, criterion.max_points - 1 - t - j)
                    give = GiveScore(
                        command_id=uuid.uuid4().hex,
                        event=slug,
                        juror=juror.id,
                        team=team_id,
                        criterion=criterion.id,
                        points=points,
                    )
                    await call(nc, Judging.SCORE, give, Sheet)
                    scored += 1
        placed = 3 * len(teams)
        return (
            f"{slug}: {len(people)} participants ({len(people) - placed} without a team), "
            f"{len(teams)} teams, {scored} jury scores"
        )
    finally:
        await nc.drain()
