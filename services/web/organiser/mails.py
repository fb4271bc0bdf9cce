"""Organiser pages for the mails notify sent: the log, and each mail as its reader got it."""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from schemas.notify import GetMail, ListMails, MailList, MailView
from schemas.subjects import Notify
from services.web.gateway import Gateway
from services.web.rendering import render


class MailPages(Controller):
    path = "/organiser/mails"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "deployment"}

    @get("/")
    async def mails(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], event: FromQuery[str] = ""
    ) -> Response[str]:
        reply = await gateway.call(Notify.LIST_MAILS, ListMails(event=event or None), MailList)
        events = await gateway.events(include_unpublished=True)
        return render(
            request,
            "organiser/mails.html",
            organiser=request.state.organiser,
            reply=reply,
            events=events,
            titles={e.slug: e for e in events},
            chosen=event,
        )

    @get("/{mail_id:str}")
    async def mail(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], mail_id: FromPath[str]
    ) -> Response[str]:
        view = await gateway.call(Notify.GET_MAIL, GetMail(mail_id=mail_id), MailView)
        events = await gateway.events(include_unpublished=True)
        return render(
            request,
            "organiser/mail.html",
            organiser=request.state.organiser,
            mail=view,
            titles={e.slug: e for e in events},
        )
