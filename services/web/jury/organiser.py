"""The organiser's jury page: jurors, their links and teams, progress, paper sheets, closing."""

import uuid
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from markupsafe import Markup

from schemas.judging import (
    MAX_IMPORT_BYTES,
    AssignJuror,
    CloseJudging,
    Conflicts,
    DeclareConflict,
    GetConflicts,
    GetSheets,
    GiveTracks,
    ImportScores,
    MarkAbsent,
    ReopenJudging,
    Sheet,
    Sheets,
    Standings,
)
from schemas.notify import JuryLink, JuryLinksSending, SendJuryLinks
from schemas.registration import Register, RegistrationView
from schemas.schedule import Agenda, AgendaView, GetAgenda
from schemas.subjects import Judging, Notify, Registration, Schedule
from services.kit.client import ServiceError
from services.kit.i18n import localised
from services.kit.score_sheet import HEADER, read_sheet
from services.web.errors import error_text, form_refusal, form_refusals
from services.web.forms import command_id_of
from services.web.gateway import Gateway, public_base
from services.web.printouts import JurorSheet, jury_sheets_pdf
from services.web.rendering import language_of, render


def panels_of(agenda: Agenda, jurors: set[str], teams: set[str]) -> dict[str, list[str]]:
    """Each juror's teams from the released agenda's pitch sessions (the generated jury panels)."""
    panels: dict[str, set[str]] = {}
    for person in agenda.people:
        if person.role != "juror" or person.registration not in jurors:
            continue
        pitched = {s.team for s in agenda.sessions if s.team in teams and person.id in s.people and not s.cancelled}
        if pitched:
            panels.setdefault(person.registration, set()).update(t for t in pitched if t)
    return {juror: sorted(chosen) for juror, chosen in panels.items()}


async def agenda_panels(
    gateway: Gateway, slug: str, jurors: list[RegistrationView], standings: Standings
) -> dict[str, list[str]]:
    """The jury panels of the released agenda, for the jurors and teams judging knows."""
    agenda = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug, include_unpublished=True), AgendaView)
    return panels_of(agenda.agenda, {j.id for j in jurors}, {s.team.id for s in standings.standings})


def jury_links(request: Request[Any, Any, Any], slug: str, jurors: list[RegistrationView]) -> dict[str, str]:
    """Each juror's scoring link, signed by the web: only that juror's sheet opens with it."""
    base = public_base(request)
    tokens = request.app.state.tokens
    return {j.id: f"{base}/jury/{slug}/{j.id}?key={tokens.jury_key(slug, j.id)}" for j in jurors}


def _row_of(field: str | None) -> int | None:
    """The row a problem names (`row:3`), None for the whole file."""
    number = (field or "").removeprefix("row:")
    return int(number) if field and field.startswith("row:") and number.isdigit() else None


class JuryAdmin(Controller):
    """The organiser's side: jurors, their links and teams, progress, closing the judging."""

    path = "/organiser/e/{slug:str}/jury"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "jury"}

    @get("/")
    async def page(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, gateway, slug)

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
        import_problems: list[tuple[int | None, str]] | None = None,
    ) -> Response[str]:
        spec, jurors, standings = await gateway.judging(slug)
        progress = {p.juror: p for p in standings.jurors}
        links = jury_links(request, slug, jurors)
        # On the day a juror scans their link from the organiser's screen rather than typing it.
        codes = {j: Markup(segno.make(link, error="m").svg_inline(scale=3, title=j)) for j, link in links.items()}
        categories = [c for c in spec.categories if spec.audience_of(c.id) == "jurors"]
        panels = await agenda_panels(gateway, slug, jurors, standings)
        conflicts = await gateway.call(Judging.CONFLICTS, GetConflicts(event=slug), Conflicts)
        return render(
            request,
            "organiser/jury.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            jurors=jurors,
            links=links,
            codes=codes,
            progress=progress,
            standings=standings,
            teams=[s.team for s in standings.standings] + standings.absent,
            categories=categories,
            panels=panels,
            errors=errors or {},
            values=values or {},
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
            imported=request.query_params.get("count", ""),
            import_problems=import_problems or [],
            import_header=HEADER,
            conflicts=conflicts.conflicts,
            # Whom and what the conflicts name: jurors and teams by id.
            conflict_names=(
                {j.id: j.name for j in jurors},
                {t.id: t.name for t in [s.team for s in standings.standings] + standings.absent},
            ),
        )

    @get("/sheets.pdf")
    async def paper_sheets(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> Response[bytes]:
        """Paper scoring sheets, one per juror in their language: the backup if phones fail."""
        spec = await gateway.event(slug, include_unpublished=True)
        jurors = sorted(await gateway.jurors(spec), key=lambda j: j.name.casefold())
        titles = {c.id: c for c in spec.challenges}
        # Each juror's sheet as judging decides it (their teams, within their tracks), absent teams aside.
        query = GetSheets(event=slug, jurors=[j.id for j in jurors])
        judged = (await gateway.call(Judging.SHEETS, query, Sheets)).sheets
        sheets = []
        for juror, sheet in zip(jurors, judged, strict=True):
            teams = [t for t in sheet.teams if t.id not in sheet.absent]
            lines = [
                (t.name, localised(titles[t.challenge], "title", juror.language) if t.challenge in titles else "")
                for t in sorted(teams, key=lambda t: t.name.casefold())
            ]
            sheets.append(JurorSheet(name=juror.name, language=juror.language, teams=lines))
        return Response(
            jury_sheets_pdf(spec, sheets),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{slug}-jury.pdf"'},
        )

    @classmethod
    async def _sent(
        cls,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        call: tuple[str, Any, type[Any]],
        error_at: str,
        done: str,
    ) -> Response[Any]:
        """The command sent (subject, command, reply type); refused, the page again with the message
        at `error_at`; done, on to the jury page with `done` (its query and anchor)."""
        subject, command, reply_type = call
        try:
            await gateway.call(subject, command, reply_type)
        except ServiceError as failure:
            refusal = form_refusal(failure, language_of(request))
            return await cls._page(
                request, gateway, slug, errors={error_at: refusal.message}, status_code=refusal.status
            )
        return Redirect(f"/organiser/e/{slug}/jury{done}", status_code=303)

    @post("/jurors")
    async def add_juror(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """Register a juror in an invitation-only category; they get the usual confirmation mail."""
        spec = await gateway.event(slug, include_unpublished=True)
        form = await request.form()
        values = {name: str(form.get(name) or "").strip() for name in ("name", "email", "language", "category")}
        categories = [c.id for c in spec.categories if spec.audience_of(c.id) == "jurors"]
        command = Register(
            command_id=command_id_of(form),
            event=slug,
            # Not cut short: an overlong name or address comes back with the error next to it.
            name=values["name"],
            email=values["email"],
            consent=True,
            language="en" if values["language"] == "en" else "fr",
            category=values["category"] or (categories[0] if categories else None),
            by_organiser=request.state.organiser[0],
        )
        try:
            await gateway.call(Registration.REGISTER, command, RegistrationView)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._page(
                request, gateway, slug, {refused.field or "_form": refused.message}, values, refused.status
            )
        return Redirect(f"/organiser/e/{slug}/jury?saved=juror", status_code=303)

    @post("/links")
    async def mail_links(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """Every juror gets their link by mail (notify sends it; only the web can sign it)."""
        return await self._mail_links(request, gateway, slug, None)

    @post("/links/{juror:str}")
    async def mail_link(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
    ) -> Response[Any]:
        return await self._mail_links(request, gateway, slug, juror)

    @staticmethod
    async def _mail_links(
        request: Request[Any, Any, Any], gateway: Gateway, slug: str, juror: str | None
    ) -> Response[Any]:
        form = await request.form()
        spec = await gateway.event(slug, include_unpublished=True)
        jurors = [j for j in await gateway.jurors(spec) if juror is None or j.id == juror]
        if not jurors:
            raise NotFoundException()
        links = jury_links(request, slug, jurors)
        command = SendJuryLinks(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            links=[JuryLink(registration_id=j.id, url=links[j.id]) for j in jurors],
        )
        await gateway.call(Notify.SEND_JURY_LINKS, command, JuryLinksSending)
        anchor = f"#j-{juror}" if juror else ""
        return Redirect(f"/organiser/e/{slug}/jury?saved={'link' if juror else 'links'}{anchor}", status_code=303)

    @post("/panels")
    async def apply_panels(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """Give each juror the teams the released agenda has them hear pitch."""
        form = await request.form()
        command_id = command_id_of(form)
        _, jurors, standings = await gateway.judging(slug)
        # A conflict declared after the agenda was released keeps that team off the juror's sheet.
        conflicted = await gateway.conflicts(slug, jurors)
        for juror, teams in (await agenda_panels(gateway, slug, jurors, standings)).items():
            command = AssignJuror(
                command_id=f"{command_id}-{juror}"[:100],
                event=slug,
                juror=juror,
                teams=[t for t in teams if t not in conflicted.get(juror, [])],
                by_organiser=request.state.organiser[0],
            )
            await gateway.call(Judging.ASSIGN, command, Standings)
        return Redirect(f"/organiser/e/{slug}/jury?saved=panels", status_code=303)

    @post("/assign/{juror:str}")
    async def assign(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        teams = None if form.get("all") == "1" else [str(t) for t in form.getall("team", [])]
        command = AssignJuror(
            command_id=command_id_of(form),
            event=slug,
            juror=juror,
            teams=teams,
            by_organiser=request.state.organiser[0],
        )
        return await self._sent(
            request, gateway, slug, (Judging.ASSIGN, command, Standings), f"assign-{juror}", f"?saved=assign#j-{juror}"
        )

    @post("/tracks/{juror:str}")
    async def tracks(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
    ) -> Response[Any]:
        """The challenges a juror judges (none ticked: every challenge); their sheet keeps those teams."""
        form = await request.form()
        command = GiveTracks(
            command_id=command_id_of(form),
            event=slug,
            juror=juror,
            # Not cut short: more tracks than the message allows is refused, and said so.
            tracks=[str(t) for t in form.getall("track", [])],
            by_organiser=request.state.organiser[0],
        )
        return await self._sent(
            request, gateway, slug, (Judging.TRACKS, command, Standings), f"tracks-{juror}", f"?saved=tracks#j-{juror}"
        )

    @post("/conflict")
    async def conflict(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """A conflict of interest declared for a juror and a team (conflicted=0 lifts a declared one)."""
        form = await request.form()
        juror = str(form.get("juror") or "")
        if juror not in {j.id for j in await gateway.jurors(await gateway.event(slug, include_unpublished=True))}:
            raise NotFoundException()
        reason = str(form.get("reason") or "other")
        conflicted = form.get("conflicted") != "0"
        command = DeclareConflict(
            command_id=command_id_of(form),
            event=slug,
            juror=juror,
            team=str(form.get("team") or ""),
            reason=reason if reason in ("member", "mentor") else "other",
            conflicted=conflicted,
            by_organiser=request.state.organiser[0],
        )
        return await self._sent(
            request,
            gateway,
            slug,
            (Judging.CONFLICT, command, Sheet),
            "conflict",
            f"?saved={'conflict' if conflicted else 'conflict_lifted'}#conflicts",
        )

    @post("/absent/{team:str}")
    async def absent(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        team: FromPath[str],
    ) -> Response[Any]:
        """A team that did not show up leaves the standings (absent=1), or comes back (absent=0)."""
        form = await request.form()
        command = MarkAbsent(
            command_id=command_id_of(form),
            event=slug,
            team=team,
            absent=form.get("absent") != "0",
            by_organiser=request.state.organiser[0],
        )
        return await self._sent(
            request,
            gateway,
            slug,
            (Judging.ABSENT, command, Standings),
            "absent",
            f"?saved={'absent' if command.absent else 'present'}#absent",
        )

    @post("/import")
    async def import_scores(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """The paper sheets typed into a CSV file (uploaded or pasted): all rows imported, or none,
        each bad row listed with its problem."""
        form = await request.form()
        upload = form.get("file")
        text = str(form.get("csv") or "")
        language = language_of(request)
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_IMPORT_BYTES + 1)
            if data.strip():
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    return await self._import_refused(request, gateway, slug, text, "judging_csv_unreadable")
        if len(text) > MAX_IMPORT_BYTES:
            return await self._import_refused(request, gateway, slug, "", "too_large")
        spec = await gateway.event(slug, include_unpublished=True)
        jurors = await gateway.jurors(spec)
        command = ImportScores(
            command_id=command_id_of(form),
            event=slug,
            csv_text=text,
            jurors={j.id: j.name for j in jurors},
            by_organiser=request.state.organiser[0],
        )
        try:
            await gateway.call(Judging.IMPORT, command, Standings)
        except ServiceError as failure:
            refusals = form_refusals(failure, language)
            problems = [(_row_of(r.field), r.message) for r in refusals]
            return await self._page(
                request, gateway, slug, values={"csv": text}, status_code=refusals[0].status, import_problems=problems
            )
        count = len(read_sheet(text)[0])
        return Redirect(f"/organiser/e/{slug}/jury?saved=import&count={count}#paper", status_code=303)

    @classmethod
    async def _import_refused(
        cls, request: Request[Any, Any, Any], gateway: Gateway, slug: str, text: str, key: str
    ) -> Response[str]:
        """A file refused before judging sees it (too long, not UTF-8 text)."""
        message = error_text(key, "This file cannot be imported", language_of(request))
        status = 413 if key == "too_large" else 422
        return await cls._page(
            request, gateway, slug, values={"csv": text}, status_code=status, import_problems=[(None, message)]
        )

    @post("/{action:str}")
    async def close(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        kinds: dict[str, tuple[str, Any]] = {
            "close": (Judging.CLOSE, CloseJudging),
            "reopen": (Judging.REOPEN, ReopenJudging),
        }
        if action not in kinds:
            raise NotFoundException()
        subject, kind = kinds[action]
        form = await request.form()
        command = kind(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
        )
        await gateway.call(subject, command, Standings)
        return Redirect(f"/organiser/e/{slug}/jury?saved={action}", status_code=303)
