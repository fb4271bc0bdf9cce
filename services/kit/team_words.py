"""A proposed team's facts in plain words, French or English: what the organiser's page and `perche teams form` say.

One wording for both (the facts come from services/kit/team_formation.py TeamFacts, or the
ProposalFacts the teams service sends, which carry the same fields).
"""

from collections.abc import Sequence
from typing import Protocol


class Facts(Protocol):
    @property
    def size(self) -> int: ...
    @property
    def coders(self) -> int: ...
    @property
    def domain_experts(self) -> int: ...
    @property
    def levels(self) -> Sequence[str]: ...
    @property
    def skills(self) -> Sequence[str]: ...
    @property
    def first_or_second(self) -> int: ...
    @property
    def no_preference(self) -> int: ...
    @property
    def kept(self) -> int: ...


LEVEL_WORDS = {
    "fr": {"beginner": "débutant", "intermediate": "intermédiaire", "expert": "expert"},
    "en": {"beginner": "beginner", "intermediate": "intermediate", "expert": "expert"},
}


def explain(facts: Facts, lang: str) -> str:
    """A team's facts in one sentence, in French (`fr`) or English (anything else)."""
    lang = "fr" if lang == "fr" else "en"
    levels = ", ".join(LEVEL_WORDS[lang].get(level, level) for level in facts.levels)
    ranked = facts.size - facts.no_preference
    if lang == "fr":
        parts = [
            f"{facts.coders} qui codent" if facts.coders != 1 else "1 qui code",
            f"{facts.domain_experts} du métier (agriculture)",
            f"expériences mêlées ({levels})" if len(facts.levels) > 1 else f"même expérience ({levels})",
            f"{len(facts.skills)} compétences",
        ]
        if ranked:
            parts.append(f"{facts.first_or_second} sur {ranked} ont leur 1er ou 2e défi")
        if facts.kept:
            parts.append(f"{facts.kept} déjà dans l'équipe")
    else:
        parts = [
            f"{facts.coders} who code" if facts.coders != 1 else "1 who codes",
            f"{facts.domain_experts} domain expert{'s' if facts.domain_experts != 1 else ''}",
            f"mixed experience ({levels})" if len(facts.levels) > 1 else f"same experience ({levels})",
            f"{len(facts.skills)} skills",
        ]
        if ranked:
            parts.append(f"{facts.first_or_second} of {ranked} got their first or second challenge")
        if facts.kept:
            parts.append(f"{facts.kept} already in the team")
    return ", ".join(parts)
