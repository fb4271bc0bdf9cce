"""A hackathon whose questions feed team formation, and participants who answer them, for the formation tests."""

import re
import uuid
from pathlib import Path

from nats.aio.client import Client

from schemas.registration import Register, RegistrationView
from schemas.subjects import Registration
from services.kit.client import call
from tests.conftest import HACKATHON
from tests.demo_events import demo_text

# The demo hackathon's own questions: « challenges » (ranking the challenges), « skills » (multi_choice,
# « Agriculture » among them) and « level » (choice) feed formation.
FORMATION = """
[team_formation]
min_size = 3
challenges = "challenges"
skills = "skills"
codes = "level"
codes_if = ["Quelques projets", "Confirmé·e"]
experience = "level"
experience_levels = ["beginner", "intermediate", "expert"]
domain = "skills"
domain_if = ["Agriculture"]
"""
LEVELS = ["Débutant·e", "Quelques projets", "Confirmé·e"]
SKILLS = ["Développement web", "Données", "Design", "Agriculture", "Gestion de projet"]
# The demo hackathon's challenges, ranked differently from one person to the next.
RANKINGS = [
    ["traite", "circuit-court"],
    ["meteo-parcelle", "traite", "circuit-court"],
    ["circuit-court", "meteo-parcelle"],
    ["traite"],
    [],
]


def formation_event(tmp_path: Path, slug: str, rank_challenges: bool = True) -> Path:
    """The demo hackathon under another slug, with its own [team_formation] (whatever the demo file says);
    without `rank_challenges`, formation does not read the ranking of the challenges."""
    text = demo_text(HACKATHON).replace(f'slug = "{HACKATHON}"', f'slug = "{slug}"')
    text = re.sub(r"(?ms)^\[team_formation\]\n.*?(?=^\[|\Z)", "", text)
    path = tmp_path / f"{slug}.toml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    formation = FORMATION if rank_challenges else FORMATION.replace('challenges = "challenges"\n', "")
    path.write_text(text + formation, encoding="utf-8")
    return path


def answers(i: int) -> dict[str, object]:
    """Varied answers: every other person codes, one in three is a farmer."""
    skills = [SKILLS[i % len(SKILLS)]] + (["Agriculture"] if i % 3 == 0 else [])
    ranked = RANKINGS[i % len(RANKINGS)]
    return {
        **({"challenges": ranked} if ranked else {}),
        "level": LEVELS[i % len(LEVELS)],
        "team": "Seul·e, je cherche une équipe",
        "skills": sorted(set(skills), key=SKILLS.index),
    }


async def register(client: Client, slug: str, i: int) -> str:
    command = Register(
        command_id=uuid.uuid4().hex,
        event=slug,
        name=f"Personne {i}",
        email=f"personne{i}@example.org",
        consent=True,
        category="participant",
        answers=answers(i),  # type: ignore[arg-type]
    )
    view = await call(client, Registration.REGISTER, command, RegistrationView, timeout=30)
    assert view.status == "confirmed"
    return view.id
