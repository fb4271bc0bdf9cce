"""PDFs print on a machine without DejaVu too: the core font, with what it cannot show spelled
in plain Latin letters, never an error."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from services.catalog.files import read_event_file
from services.web import printouts
from services.web.printouts import Badge, JurorSheet, badges_pdf, jury_sheets_pdf

EVENT = Path(__file__).resolve().parents[2] / "events" / "hackathon-comice-2027.toml"


def text_of(pdf: bytes) -> str:
    # Words only: extraction breaks lines where wrapped headers do.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.mark.parametrize("fonts", ["system", "none"])
def test_names_print_with_or_without_a_unicode_font(fonts: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if fonts == "none":
        monkeypatch.setattr(printouts, "FONT_DIRS", [])
    elif not any((d / "DejaVuSans.ttf").exists() for d in printouts.FONT_DIRS):
        pytest.skip("DejaVu Sans is not installed here")
    spec = read_event_file(EVENT)
    badge = Badge(name="Cœur Nguyễn", category="Participant·e", check_in_url="https://example.org/c?code=1")
    text = text_of(badges_pdf(spec, [badge], "fr"))
    assert ("Cœur Nguyễn" if fonts == "system" else "Coeur Nguyen") in text
    sheet = JurorSheet(name="Élodie Œil", language="en", teams=[("Équipe « Brouette »", "")])
    text = text_of(jury_sheets_pdf(spec, [sheet]))
    assert "Scoring sheet" in text and ("Élodie Œil" if fonts == "system" else "Élodie OEil") in text


def test_an_empty_list_still_gives_a_page_to_print() -> None:
    spec = read_event_file(EVENT)
    assert len(PdfReader(io.BytesIO(badges_pdf(spec, [], "fr"))).pages) == 1
    blank = text_of(jury_sheets_pdf(spec, []))
    assert "Fiche de notation" in blank and "Utilité pour les agriculteurs" in blank
