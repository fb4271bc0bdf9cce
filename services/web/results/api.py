"""The results in the JSON API: published results for everyone, live standings for organisers."""

from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from schemas.judging import Standing
from services.web.gateway import Gateway
from services.web.spreadsheets import csv_bytes
from services.web.views import error_responses


class ResultsApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["results"]

    @get(
        "/results",
        summary="Published results (404 until an organiser publishes them)",
        responses=error_responses(404, 503),
        opt={"access": "public"},
    )
    async def results(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> Response[Any]:
        await gateway.event(slug)
        results = await gateway.results(slug)
        if results.version == 0:
            raise NotFoundException("The results of this event are not published")
        return Response(results, media_type=MediaType.JSON)

    @get(
        "/standings",
        summary="Live standings from the jury's scores (organisers)",
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
        opt={"access": "jury"},
    )
    async def standings(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> Response[Any]:
        _, _, standings = await gateway.judging(slug)
        return Response(standings, media_type=MediaType.JSON)

    @get(
        "/standings.csv",
        summary="The standings for a spreadsheet (organisers)",
        security=[{"bearer": []}],
        media_type="text/csv",
        responses=error_responses(401, 404, 503),
        opt={"access": "jury"},
    )
    async def standings_csv(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> Response[bytes]:
        spec, _, standings = await gateway.judging(slug)
        header = ["rang", "équipe", "défi"] + [f"{c.name} (/{c.max_points})" for c in spec.criteria]
        # With the jury model, its score, the places it allows and the jurors come before the raw mean.
        model = ["score corrigé /100", "places", "jurés"] if standings.model else []
        rows = [
            [s.rank, s.team.name, s.team.challenge or ""]
            + ["" if r.average is None else r.average for r in s.criteria]
            + ([] if not model else ["" if s.score is None else s.score, _places(s), s.jurors])
            + [s.total, f"{s.given}/{s.expected}"]
            for s in standings.standings
        ]
        last = ["moyenne brute /100" if model else "total /100", "notes"]
        return Response(
            csv_bytes(header + model + last, rows),
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={"Content-Disposition": f'attachment; filename="{slug}-classement.csv"'},
        )


def _places(line: Standing) -> str:
    """« 1 à 3 » when the scores allow places 1 to 3 (« 1-3 » would turn into a date), « 2 » when only one."""
    if line.rank_best is None or line.rank_worst is None:
        return ""
    if line.rank_best == line.rank_worst:
        return str(line.rank_best)
    return f"{line.rank_best} à {line.rank_worst}"
