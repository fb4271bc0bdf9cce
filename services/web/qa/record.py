"""The Q&A's record as a PDF: public once the organiser published it after the event, a 404 before."""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from services.web.gateway import Gateway
from services.web.printouts import record_pdf
from services.web.rendering import language_of


class RecordPdf(Controller):
    include_in_schema = False
    opt = {"access": "public"}

    @get("/e/{slug:str}/record.pdf")
    async def pdf(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[bytes]:
        spec = await gateway.event(slug)
        record = await gateway.qa_record(spec.slug)
        if record is None:
            raise NotFoundException()
        return Response(
            record_pdf(spec, record, language_of(request)),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{spec.slug}-record.pdf"'},
        )
