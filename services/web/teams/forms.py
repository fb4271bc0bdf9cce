"""Reading the team forms: the create command they make, and where a refusal is shown on them.

Every form works without JavaScript and carries a client-made command id, so a double
click is one command.
"""

import hashlib

from litestar.datastructures import FormMultiDict

from schemas.teams import CreateTeam
from services.web.forms import command_id_of, form_text, slugify

# Form fields an error may be tied to; any other error goes to the summary at the top.
FORM_FIELDS = ("name", "challenge", "code")


def team_id_for(name: str, command_id: str) -> str:
    """A readable id, the same for the same command (a double click asks for the same team)."""
    digest = hashlib.sha256(command_id.encode()).hexdigest()[:6]
    return f"{slugify(name, 30) if name.strip() else 'equipe'}-{digest}"


def create_from_form(form: FormMultiDict, slug: str, founder: str | None, organiser: str | None) -> CreateTeam:
    command_id = command_id_of(form)
    # Not cut to the 80 characters a name may have: a longer one comes back with the error next to it.
    name = form_text(form, "name", 1000)
    return CreateTeam(
        command_id=command_id,
        event=slug,
        team_id=team_id_for(name, command_id),
        # A blank name still makes a command: the service answers with its precise refusal.
        name=name or " ",
        challenge=form_text(form, "challenge", 40) or None,
        open=form.get("open") != "no",
        founder=founder,
        by_organiser=organiser,
    )


def shown_at(field: str | None, default: str = "_form") -> str:
    """Where a form shows a refusal: next to the field it names if the form has it, else at `default`."""
    return field if field in FORM_FIELDS else default
