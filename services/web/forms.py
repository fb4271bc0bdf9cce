"""Reading forms (no JavaScript needed): texts, command ids, slugs."""

import re
import uuid

from litestar.datastructures import FormMultiDict

from schemas.validation import without_accents


def form_text(form: FormMultiDict, name: str, limit: int = 200) -> str:
    return str(form.get(name) or "").strip()[:limit]


def slugify(text: str, limit: int = 40) -> str:
    """A readable ASCII id made from a name (a room, a team): lowercase words joined by dashes."""
    plain = without_accents(text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")
    return slug or "x"


def command_id_of(form: FormMultiDict) -> str:
    """The id the page put in its form, so a double click is one command; a new one if it is missing."""
    given = form_text(form, "command_id", 100)
    return given if len(given) >= 8 else uuid.uuid4().hex
