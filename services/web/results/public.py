"""The published results, for everyone.

Nothing here shows a score, a prize or a project before an organiser publishes: the page reads
only the publishing service's snapshot, never judging's standings, and asks for the teams'
projects only once results are public.
"""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from schemas.publishing import Results
from schemas.subjects import Teams
from schemas.teams import GetProjects, ProjectList, ProjectView
from services.web.gateway import Gateway
from services.web.photos import photo_response
from services.web.rendering import render


def published_teams(results: Results) -> set[str]:
    """Every team the published results name, ranked or absent."""
    return {line.team for line in results.lines} | {team.team for team in results.absent}


class ResultsPages(Controller):
    opt = {"access": "public"}
    include_in_schema = False

    @get("/e/{slug:str}/results")
    async def page(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        spec = await gateway.event(slug)
        results = await gateway.results(slug)
        challenges = {c.id: c for c in spec.challenges}
        projects: dict[str, ProjectView] = {}
        if results.version:
            listed = await gateway.call(Teams.PROJECTS, GetProjects(event=spec.slug), ProjectList)
            projects = {team: listed.projects[team] for team in published_teams(results) if team in listed.projects}
        return render(
            request, "public/results.html", event=spec, results=results, challenges=challenges, projects=projects
        )

    @get("/e/{slug:str}/results/photo/{team:str}")
    async def photo(
        self, gateway: NamedDependency[Gateway], slug: FromPath[str], team: FromPath[str]
    ) -> Response[bytes]:
        """A published team's project photo; nothing before the results are public."""
        spec = await gateway.event(slug)
        results = await gateway.results(spec.slug)
        if not results.version or team not in published_teams(results):
            raise NotFoundException()
        listed = await gateway.call(Teams.PROJECTS, GetProjects(event=spec.slug), ProjectList)
        return await photo_response(gateway, spec.slug, listed.projects.get(team))
