"""The catalog's organisation endpoints: members, roles, settings and API tokens, on NATS."""

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.accounts import InvitationSent, InviteOrganiser
from schemas.catalog import CatalogEvent
from schemas.errors import Rejected
from schemas.organisations import (
    API_TOKEN_PREFIX,
    ApiTokenValid,
    ChangeOrganisationSettings,
    CheckApiToken,
    DefineOrganisation,
    GetOrganisation,
    GrantMember,
    IssueApiToken,
    ListOrganisations,
    Membership,
    OrganisationChanged,
    OrganisationDetail,
    OrganisationList,
    RevokeApiToken,
    RevokeMember,
)
from schemas.subjects import Catalog
from schemas.validation import looks_like_email, normalise_email, same_secret
from services.catalog.organisations import (
    decide_define_organisation,
    decide_grant,
    decide_issue_token,
    decide_revoke,
    decide_revoke_token,
    decide_settings,
)
from services.catalog.rules import CatalogState
from services.kit.client import ServiceError
from services.kit.endpoints import Endpoints
from services.kit.store import EventStore, decided_on

log = logging.getLogger("perche.catalog")

# The email of each person named in a membership, keyed by person id (erasable, like accounts):
# a membership may name someone before they have an account.
PEOPLE_BUCKET = "perche_catalog_people"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class OrganisationEndpoints:
    def __init__(
        self,
        state: CatalogState,
        store: EventStore[CatalogEvent],
        people: KeyValue,
        person_of: Callable[[str], str],
        email_of: Callable[[str], Awaitable[str | None]],
        invite: Callable[[InviteOrganiser], Awaitable[InvitationSent]],
    ) -> None:
        self.state = state
        self.store = store
        self.people = people
        self._person_of = person_of
        self._email_of = email_of
        self._invite = invite

    def add_to(self, endpoints: Endpoints) -> None:
        endpoints.add(Catalog.DEFINE_ORGANISATION, DefineOrganisation, self.define)
        endpoints.add(Catalog.GRANT_MEMBER, GrantMember, self.grant)
        endpoints.add(Catalog.REVOKE_MEMBER, RevokeMember, self.revoke)
        endpoints.add(Catalog.CHANGE_ORGANISATION_SETTINGS, ChangeOrganisationSettings, self.settings)
        endpoints.add(Catalog.ISSUE_API_TOKEN, IssueApiToken, self.issue_token)
        endpoints.add(Catalog.REVOKE_API_TOKEN, RevokeApiToken, self.revoke_token)
        endpoints.add(Catalog.LIST_ORGANISATIONS, ListOrganisations, self.list_all)
        endpoints.add(Catalog.GET_ORGANISATION, GetOrganisation, self.detail)
        endpoints.add(Catalog.CHECK_API_TOKEN, CheckApiToken, self.check_token)

    def memberships(self, person: str) -> list[Membership]:
        return self.state.orgs.memberships(person)

    async def _decided(self, slug: str, command_id: str, decide: Callable[[], CatalogEvent | None]) -> bool:
        def once() -> CatalogEvent | None:
            if command_id in self.state.commands:
                return None  # a repeat: its first outcome stands
            return decide()

        appended = await self.store.append_decided(decided_on(Catalog.organisation_subject(slug), command_id, once))
        return appended is not None

    def _changed(self, slug: str, changed: bool) -> OrganisationChanged:
        record = self.state.orgs.get(slug)
        assert record is not None
        return OrganisationChanged(organisation=record.organisation, changed=changed)

    async def define(self, command: DefineOrganisation) -> OrganisationChanged:
        now = datetime.now(UTC)
        changed = await self._decided(
            command.slug, command.command_id, lambda: decide_define_organisation(self.state.orgs, command, now)
        )
        return self._changed(command.slug, changed)

    async def grant(self, command: GrantMember) -> OrganisationChanged:
        email = normalise_email(command.email)
        if not looks_like_email(email):
            raise Rejected("invalid", f"{command.email!r} is not an email address", "email", key="email_invalid")
        person = self._person_of(email)
        now = datetime.now(UTC)
        # Checked before the email is kept, so a refused grant leaves nothing behind.
        decide_grant(self.state.orgs, command, person, now)
        await self.people.put(person, email.encode())
        changed = await self._decided(
            command.organisation, command.command_id, lambda: decide_grant(self.state.orgs, command, person, now)
        )
        if person not in self.state.organisers:
            # Given a role before having an account: mailed a one-time link to make it (again, when an
            # owner adds them again; a double click is one command, so one mail).
            record = self.state.orgs.get(command.organisation)
            name = "" if record is None else record.organisation.name
            invitation = InviteOrganiser(
                command_id=f"invite-{command.command_id}",
                email=email,
                invited_by=command.by_organiser or "",
                organisation=name,
                language=command.language,
                address=command.address,
            )
            try:
                await self._invite(invitation)
            except ServiceError as error:
                # The role stands (it is stored); adding the person again sends the invitation again.
                log.warning("organisation %s: the invitation could not be mailed: %s", command.organisation, error)
        return self._changed(command.organisation, changed)

    async def revoke(self, command: RevokeMember) -> OrganisationChanged:
        now = datetime.now(UTC)
        changed = await self._decided(
            command.organisation, command.command_id, lambda: decide_revoke(self.state.orgs, command, now)
        )
        return self._changed(command.organisation, changed)

    async def settings(self, command: ChangeOrganisationSettings) -> OrganisationChanged:
        now = datetime.now(UTC)
        changed = await self._decided(
            command.organisation, command.command_id, lambda: decide_settings(self.state.orgs, command, now)
        )
        return self._changed(command.organisation, changed)

    async def issue_token(self, command: IssueApiToken) -> OrganisationChanged:
        now = datetime.now(UTC)
        changed = await self._decided(
            command.organisation, command.command_id, lambda: decide_issue_token(self.state.orgs, command, now)
        )
        return self._changed(command.organisation, changed)

    async def revoke_token(self, command: RevokeApiToken) -> OrganisationChanged:
        now = datetime.now(UTC)
        changed = await self._decided(
            command.organisation, command.command_id, lambda: decide_revoke_token(self.state.orgs, command, now)
        )
        return self._changed(command.organisation, changed)

    async def list_all(self, _query: ListOrganisations) -> OrganisationList:
        return OrganisationList(organisations=[r.organisation for _, r in sorted(self.state.orgs.records.items())])

    async def detail(self, query: GetOrganisation) -> OrganisationDetail:
        record = self.state.orgs.get(query.slug)
        if record is None:
            raise Rejected("not_found", f"No organisation {query.slug!r}", "organisation", key="organisation_not_found")
        emails: dict[str, str] = {}
        for person in record.members:
            email = await self._email_of(person) or await self._kept_email(person)
            if email:
                emails[person] = email
        members = self.state.orgs.members(query.slug, emails, self.state.organisers)
        events = sorted(slug for slug, org in self.state.orgs.event_orgs.items() if org == query.slug)
        tokens = sorted((t.view for t in record.tokens.values()), key=lambda t: t.at)
        return OrganisationDetail(organisation=record.organisation, members=members, tokens=tokens, events=events)

    async def check_token(self, query: CheckApiToken) -> ApiTokenValid:
        refused = Rejected("unauthorized", "This API token is not valid (revoked or mistyped)", key="bad_token")
        if not query.token.startswith(API_TOKEN_PREFIX):
            raise refused
        token_id, _, secret = query.token.removeprefix(API_TOKEN_PREFIX).partition(".")
        found = self.state.orgs.token(token_id)
        if found is None or not secret:
            raise refused
        token, organisation, stored_hash = found
        if not same_secret(secret_hash(secret), stored_hash):
            raise refused
        membership = Membership(organisation=organisation, role=token.role, events=token.events)
        return ApiTokenValid(token_id=token_id, name=token.name, membership=membership)

    async def _kept_email(self, person: str) -> str | None:
        try:
            entry = await self.people.get(person)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None
