"""From the event's answers to the kit's formation problem, and from a draft to what the organiser reads.

Pure: the service passes in the registrations' answers (read from the registration service,
never stored here) and the state; people are known by their registration id only, names
stay with the registration service (`Person.name` is the id).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from schemas.catalog import EventSpec, Question, TeamFormation
from schemas.registration import Answer, RegistrationView
from schemas.teams import LeftOut, LinkView, ProposalFacts, ProposalTeamView, ProposalView, ProposedTeam, ViolationView
from services.kit.team_formation import ExistingTeam, Experience, Formation, Person, Problem, TeamFacts, assess
from services.teams.rules import Draft, EventTeams, TeamsState, ineligibility, unplaced

# The inputs of TeamFormation, in the order the organiser reads them.
INPUTS = ("challenges", "skills", "codes", "experience", "domain")
DEFAULT_MIN_SIZE = 3


# --- what people told us ---


def people_of(spec: EventSpec, registrations: Iterable[RegistrationView]) -> dict[str, Person]:
    """Each registration of the event as formation reads it, by registration id."""
    return {r.id: person_of(spec, r.id, r.answers) for r in registrations if r.event == spec.slug}


def person_of(spec: EventSpec, registration_id: str, answers: Mapping[str, Answer]) -> Person:
    """One person from their answers; an input the event does not ask counts for nobody."""
    formation = spec.team_formation
    if formation is None:
        return Person(registration_id, registration_id)
    questions = {q.id: q for q in spec.questions}
    return Person(
        registration_id,
        registration_id,
        skills=tuple(_ticked(answers.get(formation.skills)) if formation.skills else ()),
        codes=_means(formation.codes, formation.codes_if, answers),
        experience=_experience(formation, questions, answers),
        domain_expert=_means(formation.domain, formation.domain_if, answers),
        challenges=_ranked(spec, answers.get(formation.challenges) if formation.challenges else None),
    )


def _ticked(answer: Answer | None) -> list[str]:
    """A choice's text or a multi_choice's texts, as a list."""
    if isinstance(answer, str):
        return [answer] if answer else []
    if isinstance(answer, list):
        return list(answer)
    return []


def _means(question: str | None, texts: Sequence[str], answers: Mapping[str, Answer]) -> bool:
    """A yes_no answered yes, or a choice among `texts` ticked."""
    if question is None:
        return False
    answer = answers.get(question)
    if isinstance(answer, bool):
        return answer
    return any(choice in texts for choice in _ticked(answer))


def _experience(
    formation: TeamFormation, questions: Mapping[str, Question], answers: Mapping[str, Answer]
) -> Experience:
    question = questions.get(formation.experience or "")
    answer = answers.get(formation.experience or "")
    if question is None or not isinstance(answer, str) or answer not in question.choices:
        return "beginner"
    index = question.choices.index(answer)
    return formation.experience_levels[index] if index < len(formation.experience_levels) else "beginner"


def _ranked(spec: EventSpec, answer: Answer | None) -> tuple[str, ...]:
    """The challenges ranked, most preferred first, without unknown or repeated ones."""
    known = {c.id for c in spec.challenges}
    ranked: list[str] = []
    for challenge in _ticked(answer):
        if challenge in known and challenge not in ranked:
            ranked.append(challenge)
    return tuple(ranked)


def missing_inputs(spec: EventSpec) -> list[str]:
    formation = spec.team_formation
    if formation is None:
        return list(INPUTS)
    return [name for name in INPUTS if getattr(formation, name) is None]


# --- the problem a proposal solves ---


def problem_of(
    spec: EventSpec,
    teams: EventTeams,
    people: Mapping[str, Person],
    ids: Sequence[str],
    existing: Sequence[ExistingTeam],
    min_size: int,
    max_size: int,
) -> Problem:
    """The kit's problem for these people (`ids`, the existing teams' members among them) and the links between them."""
    known = set(ids)
    together = tuple(p for p, kind in teams.links.items() if kind == "together" and set(p) <= known)
    apart = tuple(p for p, kind in teams.links.items() if kind == "apart" and set(p) <= known)
    return Problem(
        people=tuple(people.get(i) or Person(i, i) for i in ids),
        challenges=tuple(c.id for c in spec.challenges),
        min_size=min_size,
        max_size=max_size,
        teams=tuple(existing),
        together=together,
        apart=apart,
    )


def proposed_teams(formation: Formation, locked: Sequence[ProposedTeam]) -> list[ProposedTeam]:
    """The locked teams as they were, then the formed ones as p1, p2... (numbers the locked ones do not use).

    A team to top up that receives nobody is left out: there is nothing to confirm for it.
    """
    taken = {t.id for t in locked}
    out = list(locked)
    number = 0
    for formed in formation.teams:
        if not formed.members or (formed.existing is not None and formed.facts.kept == len(formed.members)):
            continue
        number += 1
        while f"p{number}" in taken:
            number += 1
        out.append(
            ProposedTeam(
                id=f"p{number}", members=list(formed.members), challenge=formed.challenge, existing=formed.existing
            )
        )
    return out


# --- the draft as it stands now ---


@dataclass(frozen=True)
class Placed:
    """A proposed team as a confirmation would make it now: who is already in it, who it adds."""

    team: ProposedTeam
    kept: list[str]
    added: list[str]

    @property
    def members(self) -> list[str]:
        return self.kept + self.added


def placement(state: TeamsState, spec: EventSpec, draft: Draft) -> tuple[list[Placed], list[LeftOut]]:
    """Each proposed team on the teams as they are now, never above the event's team size.

    Whoever joined a team meanwhile, or is no longer a confirmed participant, is left out
    with the reason; so is whoever a gone or full team to top up cannot take.
    """
    teams = state.of(spec.slug)
    placed: list[Placed] = []
    left_out: list[LeftOut] = []
    for proposed in draft.teams:
        kept: list[str] = []
        gone = False
        if proposed.existing is not None:
            existing = teams.team(proposed.existing)
            gone = existing is None
            kept = state.members(existing) if existing is not None else []
        added: list[str] = []
        for member in proposed.members:
            if member in kept:
                continue
            if ineligibility(state, spec, member) is not None:
                left_out.append(LeftOut(registration=member, reason="not_eligible"))
            elif state.team_of(spec.slug, member) is not None:
                left_out.append(LeftOut(registration=member, reason="joined_a_team"))
            elif gone:
                left_out.append(LeftOut(registration=member, reason="team_gone"))
            elif len(kept) + len(added) >= spec.team_max_size:
                left_out.append(LeftOut(registration=member, reason="team_full"))
            else:
                added.append(member)
        placed.append(Placed(proposed, kept, added))
    return placed, left_out


def proposal_view(state: TeamsState, spec: EventSpec, people: Mapping[str, Person]) -> ProposalView:
    """The draft with its scores, reasons and broken rules, computed on the teams as they are now."""
    teams = state.of(spec.slug)
    draft = teams.draft
    links = [LinkView(kind=kind, first=a, second=b) for (a, b), kind in teams.links.items()]
    min_size = spec.team_formation.min_size if spec.team_formation else DEFAULT_MIN_SIZE
    if draft is None:
        return ProposalView(
            event=spec.slug,
            event_max_size=spec.team_max_size,
            links=links,
            missing_inputs=missing_inputs(spec),
            frozen=state.frozen(spec.slug),
            revision=0,
            min_size=min(min_size, spec.team_max_size),
            max_size=spec.team_max_size,
            top_up=False,
            teams=[],
            violations=[],
            objective=0.0,
            unplaced=unplaced(state, spec),
        )
    placed, _ = placement(state, spec, draft)
    shown = [p for p in placed if p.members]
    # The kit reads the teams to top up first, in the order of Problem.teams.
    ordered = [p for p in shown if p.team.existing is not None] + [p for p in shown if p.team.existing is None]
    existing = [
        ExistingTeam(p.team.existing or "", tuple(p.kept), p.team.challenge) for p in ordered if p.team.existing
    ]
    ids = [m for p in ordered for m in p.members]
    problem = problem_of(spec, teams, people, ids, existing, draft.min_size, draft.max_size)
    formation = assess(problem, [p.members for p in ordered], [p.team.challenge for p in ordered])
    names = {t.id: t.name for t in teams.teams.values()}
    views = {
        p.team.id: _team_view(p, formed.score, formed.facts, names)
        for p, formed in zip(ordered, formation.teams, strict=True)
    }
    in_draft = draft.people
    return ProposalView(
        event=spec.slug,
        event_max_size=spec.team_max_size,
        links=links,
        missing_inputs=missing_inputs(spec),
        frozen=state.frozen(spec.slug),
        revision=draft.revision,
        min_size=draft.min_size,
        max_size=draft.max_size,
        top_up=draft.top_up,
        teams=[views[p.team.id] for p in shown],
        violations=[
            ViolationView(
                rule=v.rule,
                people=list(v.people),
                team=ordered[v.team].team.id if v.team is not None else None,
                note=v.note,
            )
            for v in formation.violations
        ],
        objective=formation.objective,
        unplaced=[r for r in unplaced(state, spec) if r not in in_draft],
    )


def _team_view(placed: Placed, score: float, facts: TeamFacts, names: Mapping[str, str]) -> ProposalTeamView:
    team = placed.team
    return ProposalTeamView(
        id=team.id,
        members=placed.members,
        challenge=team.challenge,
        locked=team.locked,
        existing=team.existing,
        existing_name=names.get(team.existing) if team.existing else None,
        score=score,
        facts=ProposalFacts(
            size=facts.size,
            coders=facts.coders,
            domain_experts=facts.domain_experts,
            levels=list(facts.levels),
            skills=list(facts.skills),
            first_or_second=facts.first_or_second,
            no_preference=facts.no_preference,
            kept=facts.kept,
        ),
    )
