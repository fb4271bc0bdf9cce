"""Printable PDFs for the day: name badges for the door, and paper scoring sheets for the jury
(the backup when phones or the tent's Wi-Fi fail). Labels are in the reader's language.

Text uses DejaVu Sans where the system has it (every name prints as written); elsewhere the
PDF core font, with what it cannot show spelled in plain Latin letters.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from schemas.catalog import EventSpec
from schemas.qa import Record
from schemas.validation import without_accents
from services.kit.i18n import Formatter, localised, translations

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/Library/Fonts")]
# Badges: two columns of four on A4, the size of common badge holders (90 × 60 mm).
BADGE_W, BADGE_H, COLUMNS, ROWS = 90.0, 60.0, 2, 4


@dataclass(frozen=True)
class Badge:
    name: str
    category: str
    check_in_url: str


@dataclass(frozen=True)
class JurorSheet:
    name: str
    language: str
    teams: list[tuple[str, str]]  # (team name, challenge title)


class _Document:
    def __init__(self, orientation: str = "portrait") -> None:
        self.pdf = FPDF(orientation=orientation, unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creator("Perche")
        regular = next((d / "DejaVuSans.ttf" for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)
        bold = regular.with_name("DejaVuSans-Bold.ttf") if regular else None
        self.unicode = regular is not None and bold is not None and bold.exists()
        if self.unicode:
            self.pdf.add_font("Perche", "", str(regular))
            self.pdf.add_font("Perche", "B", str(bold))
        self.family = "Perche" if self.unicode else "Helvetica"

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        plain = {"œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}
        value = "".join(plain.get(c, c) for c in value)
        # Latin-1 letters stay as they are (é, è, ç); others lose their accents (ễ → e).
        return "".join(c if ord(c) < 256 else _base_letters(c) for c in value)

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def fitted(self, value: str, width: float, size: float, bold: bool = False, smallest: float = 8) -> str:
        """The text at the largest size up to `size` that fits `width` (then cut with an ellipsis)."""
        value = self.text(value)
        while size >= smallest:
            self.font(size, bold)
            if self.pdf.get_string_width(value) <= width:
                return value
            size -= 0.5
        self.font(smallest, bold)
        while value and self.pdf.get_string_width(value + "...") > width:
            value = value[:-1]
        return value + "..."

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _base_letters(character: str) -> str:
    return "".join(c for c in without_accents(character) if ord(c) < 256) or "?"


def badges_pdf(spec: EventSpec, badges: list[Badge], language: str) -> bytes:
    """Name badges, eight to an A4 page, each with the QR code the door's phone scans."""
    doc = _Document()
    pdf = doc.pdf
    title = localised(spec, "title", language)
    dates = Formatter(language).span(spec.starts_at, spec.ends_at, spec.timezone)
    left = (210 - COLUMNS * BADGE_W) / 2
    top = (297 - ROWS * BADGE_H) / 2
    for i, badge in enumerate(badges):
        if i % (COLUMNS * ROWS) == 0:
            pdf.add_page()
        column, row = i % COLUMNS, (i // COLUMNS) % ROWS
        x, y = left + column * BADGE_W, top + row * BADGE_H
        # Dashed cutting lines.
        pdf.set_draw_color(160, 160, 160)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, BADGE_W, BADGE_H)
        pdf.set_dash_pattern()
        inner = BADGE_W - 12 - 26
        pdf.set_text_color(80, 80, 80)
        pdf.set_xy(x + 6, y + 6)
        doc.font(8, bold=True)
        pdf.multi_cell(inner, 3.6, doc.text(title), align="L", new_x="LEFT", new_y="NEXT")
        doc.font(7)
        pdf.multi_cell(inner, 3.4, doc.text(dates), align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(x + 6, y + 32)
        pdf.cell(BADGE_W - 12, 10, doc.fitted(badge.name, BADGE_W - 12, 20, bold=True), new_x="LEFT", new_y="NEXT")
        pdf.set_x(x + 6)
        pdf.cell(BADGE_W - 12, 7, doc.fitted(badge.category, BADGE_W - 12, 12), new_x="LEFT", new_y="NEXT")
        image = io.BytesIO()
        segno.make(badge.check_in_url, error="m").save(image, kind="png", scale=4, border=1)
        image.seek(0)
        pdf.image(image, x=x + BADGE_W - 6 - 24, y=y + 4, w=24, h=24)
    if not badges:
        pdf.add_page()
    return doc.output()


def jury_sheets_pdf(spec: EventSpec, sheets: list[JurorSheet]) -> bytes:
    """One landscape page per juror: a row per team, a box per criterion, in the juror's language."""
    doc = _Document("landscape")
    pdf = doc.pdf
    for sheet in sheets or [JurorSheet(name="", language="fr", teams=[])]:
        _ = translations(sheet.language).gettext
        pdf.add_page()
        pdf.set_xy(12, 12)
        doc.font(16, bold=True)
        pdf.cell(0, 8, doc.text(_("Fiche de notation") + " — " + localised(spec, "title", sheet.language)))
        pdf.set_xy(12, 22)
        doc.font(11)
        juror = sheet.name or "_" * 30
        pdf.cell(0, 6, doc.text(_("Membre du jury : %(name)s") % {"name": juror}))
        pdf.set_xy(12, 29)
        doc.font(9)
        advice = _("Notez chaque équipe sur chaque critère, de 0 au maximum indiqué, puis reportez les notes.")
        pdf.multi_cell(273, 4.5, doc.text(advice))
        _table(doc, spec, sheet)
    return doc.output()


def _table(doc: _Document, spec: EventSpec, sheet: JurorSheet) -> None:
    pdf = doc.pdf
    _ = translations(sheet.language).gettext
    criteria = spec.criteria
    team_w, notes_w = 70.0, 55.0
    cell_w = (273 - team_w - notes_w) / max(len(criteria), 1)
    teams: list[tuple[str, str]] = sheet.teams or [("", "")] * 8
    row_h = min(18.0, (210 - 12 - 52) / max(len(teams), 1))
    y = 40.0
    header: list[tuple[str, float]] = [(_("Équipe"), team_w)]
    header += [(f"{localised(c, 'name', sheet.language)} (/{c.max_points})", cell_w) for c in criteria]
    header.append((_("Remarques"), notes_w))
    x = 12.0
    pdf.set_fill_color(235, 235, 235)
    doc.font(8, bold=True)
    for label, width in header:
        pdf.rect(x, y, width, 12, style="DF")
        pdf.set_xy(x, y + 1)
        pdf.multi_cell(width, 3.6, doc.text(label), align="C", max_line_height=3.6)
        x += width
    y += 12
    for name, challenge in teams:
        x = 12.0
        pdf.rect(x, y, team_w, row_h)
        pdf.set_xy(x + 1, y + 1.5)
        pdf.cell(team_w - 2, 5, doc.fitted(name, team_w - 2, 11, bold=True))
        if challenge:
            pdf.set_xy(x + 1, y + 7)
            pdf.cell(team_w - 2, 4, doc.fitted(challenge, team_w - 2, 8))
        x += team_w
        for _criterion in criteria:
            pdf.rect(x, y, cell_w, row_h)
            x += cell_w
        pdf.rect(x, y, notes_w, row_h)
        y += row_h


def record_pdf(spec: EventSpec, record: Record, language: str) -> bytes:
    """The record of an event's Q&A: its summary in the reader's language (else French) and the
    answered questions, the text set as plain text (nothing in it is markup)."""
    _ = translations(language).gettext
    doc = _Document()
    pdf = doc.pdf
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_margins(15, 15, 15)
    pdf.set_xy(15, 15)
    doc.font(16, bold=True)
    pdf.multi_cell(180, 8, doc.text(_("Compte rendu") + " — " + localised(spec, "title", language)))
    doc.font(10)
    pdf.multi_cell(180, 5, doc.text(Formatter(language).span(spec.starts_at, spec.ends_at, spec.timezone)))
    pdf.ln(4)
    summary = record.summary_en if language == "en" and record.summary_en else record.summary_fr
    doc.font(11)
    for paragraph in (p for p in summary.split("\n\n") if p.strip()):
        pdf.multi_cell(180, 5.5, doc.text(paragraph))
        pdf.ln(3)
    if record.questions:
        pdf.ln(2)
        doc.font(13, bold=True)
        pdf.multi_cell(180, 7, doc.text(_("Les questions auxquelles on a répondu")))
        pdf.ln(1)
        for n, question in enumerate(record.questions, 1):
            doc.font(11)
            pdf.multi_cell(180, 5.5, doc.text(f"{n}. {question.text}"))
            doc.font(9)
            votes = translations(language).ngettext("%(num)s voix", "%(num)s voix", question.votes) % {
                "num": question.votes
            }
            pdf.multi_cell(180, 4.5, doc.text(f"{question.name or _('Anonyme')} · {votes}"))
            pdf.ln(2)
    return doc.output()
