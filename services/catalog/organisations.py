"""Pure rules of organisations: who belongs where with which role, decided from the catalog's facts.

Events before organisations (an EventDefined without one) belong to the default organisation, and
organisers registered before them are its owners: the upgrade is a reading of the old facts, so
nothing is rewritten and nothing is lost.
"""

from dataclasses import dataclass, field
from datetime import datetime

from schemas.errors import Rejected
from schemas.organisations import (
    DEFAULT_ORGANISATION,
    ROLES,
    ApiToken,
    ApiTokenIssued,
    ApiTokenRevoked,
    ChangeOrganisationSettings,
    DefineOrganisation,
    GrantMember,
    IssueApiToken,
    Member,
    MemberGranted,
    MemberRevoked,
    Membership,
    Organisation,
    OrganisationDefined,
    OrganisationSettingsChanged,
    RevokeApiToken,
    RevokeMember,
    Role,
)


@dataclass
class _Token:
    view: ApiToken
    secret_hash: str


@dataclass
class OrganisationRecord:
    organisation: Organisation
    # person id → (role, events given to a door volunteer)
    members: dict[str, Membership] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)

    @property
    def owners(self) -> set[str]:
        return {person for person, m in self.members.items() if m.role == "owner"}


@dataclass
class Organisations:
    """Every organisation with its members and tokens, and which organisation owns each event."""

    default_name: str = "Perche"
    records: dict[str, OrganisationRecord] = field(default_factory=dict)
    event_orgs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.records.setdefault(
            DEFAULT_ORGANISATION,
            OrganisationRecord(Organisation(slug=DEFAULT_ORGANISATION, name=self.default_name)),
        )

    def get(self, slug: str) -> OrganisationRecord | None:
        return self.records.get(slug)

    def organisation_of(self, event_slug: str) -> str:
        return self.event_orgs.get(event_slug, DEFAULT_ORGANISATION)

    def memberships(self, person: str) -> list[Membership]:
        return [r.members[person] for _, r in sorted(self.records.items()) if person in r.members]

    def requires_two_step(self, person: str) -> bool:
        return any(r.organisation.require_two_step for r in self.records.values() if person in r.members)

    def token(self, token_id: str) -> tuple[ApiToken, str, str] | None:
        """(the token, its organisation, its secret's hash) for a token id still valid."""
        for slug, record in self.records.items():
            if token_id in record.tokens:
                found = record.tokens[token_id]
                return found.view, slug, found.secret_hash
        return None

    def event_defined(self, event_slug: str, organisation: str | None) -> None:
        # An event keeps the organisation it was created in; old facts name none (the default one).
        self.event_orgs.setdefault(event_slug, organisation or DEFAULT_ORGANISATION)

    def organiser_registered(self, person: str, default_role: Role | None) -> None:
        """The upgrade rule: an account that belongs to no organisation gets its default role in the default one."""
        if default_role is None or self.memberships(person):
            return
        default = self.records[DEFAULT_ORGANISATION]
        default.members[person] = Membership(organisation=DEFAULT_ORGANISATION, role=default_role)

    def evolve(self, event: object) -> None:
        match event:
            case OrganisationDefined(slug=slug, name=name, name_en=name_en, by_organiser=by):
                record = self.records.get(slug)
                if record is None:
                    record = self.records[slug] = OrganisationRecord(Organisation(slug=slug, name=name))
                    if by:  # whoever creates an organisation owns it
                        record.members[by] = Membership(organisation=slug, role="owner")
                record.organisation = Organisation(
                    slug=slug, name=name, name_en=name_en, require_two_step=record.organisation.require_two_step
                )
            case MemberGranted(organisation=slug, person=person, role=role, events=events):
                self.records[slug].members[person] = Membership(organisation=slug, role=role, events=events)
            case MemberRevoked(organisation=slug, person=person):
                self.records[slug].members.pop(person, None)
            case OrganisationSettingsChanged(organisation=slug, require_two_step=two_step):
                record = self.records[slug]
                org = record.organisation
                record.organisation = Organisation(
                    slug=org.slug, name=org.name, name_en=org.name_en, require_two_step=two_step
                )
            case ApiTokenIssued() as issued:
                view = ApiToken(
                    token_id=issued.token_id,
                    name=issued.name,
                    role=issued.role,
                    events=issued.events,
                    at=issued.at,
                    by_organiser=issued.by_organiser,
                )
                self.records[issued.organisation].tokens[issued.token_id] = _Token(view, issued.secret_hash)
            case ApiTokenRevoked(organisation=slug, token_id=token_id):
                self.records[slug].tokens.pop(token_id, None)

    def members(self, slug: str, emails: dict[str, str], accounts: set[str]) -> list[Member]:
        record = self.records[slug]
        order = {role: i for i, role in enumerate(ROLES)}
        members = [
            Member(
                person=person,
                email=emails.get(person, ""),
                role=m.role,
                events=m.events,
                has_account=person in accounts,
            )
            for person, m in record.members.items()
        ]
        return sorted(members, key=lambda m: (order[m.role], m.email, m.person))


def _record(state: Organisations, slug: str) -> OrganisationRecord:
    record = state.get(slug)
    if record is None:
        raise Rejected("not_found", f"No organisation {slug!r}", "organisation", key="organisation_not_found")
    return record


def _role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    allowed = ", ".join(ROLES)
    raise Rejected("invalid", f"There is no role {role!r}: choose one of {allowed}", "role", key="role_unknown")


def _door_events(state: Organisations, slug: str, role: Role, events: list[str]) -> list[str]:
    """The events a door volunteer is given: some, all of this organisation; other roles get none."""
    if role != "door":
        return []
    given = sorted(set(events))
    if not given:
        raise Rejected("invalid", "Give the door volunteer at least one event", "events", key="door_needs_events")
    for event in given:
        if state.event_orgs.get(event) != slug:
            raise Rejected(
                "invalid",
                f"The event {event!r} is not one of this organisation's",
                "events",
                key="event_not_in_organisation",
            )
    return given


def decide_define_organisation(
    state: Organisations, command: DefineOrganisation, now: datetime
) -> OrganisationDefined | None:
    record = state.get(command.slug)
    if record is not None:
        if command.by_organiser is not None and command.by_organiser not in record.owners:
            raise Rejected(
                "conflict", f"An organisation is already called {command.slug!r}", "slug", key="organisation_exists"
            )
        if (record.organisation.name, record.organisation.name_en) == (command.name, command.name_en):
            return None
    return OrganisationDefined(
        command_id=command.command_id,
        slug=command.slug,
        name=command.name,
        name_en=command.name_en,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_grant(state: Organisations, command: GrantMember, person: str, now: datetime) -> MemberGranted | None:
    """Give `person` a role (the catalog checked the email). Raises Rejected and writes nothing."""
    record = _record(state, command.organisation)
    role = _role(command.role)
    events = _door_events(state, command.organisation, role, command.events)
    current = record.members.get(person)
    if current is not None and current.role == role and current.events == events:
        return None
    if current is not None and current.role == "owner" and role != "owner" and record.owners == {person}:
        raise Rejected("conflict", "The organisation needs at least one owner", "role", key="last_owner")
    return MemberGranted(
        command_id=command.command_id,
        organisation=command.organisation,
        person=person,
        role=role,
        events=events,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_revoke(state: Organisations, command: RevokeMember, now: datetime) -> MemberRevoked | None:
    record = _record(state, command.organisation)
    if command.person not in record.members:
        return None  # gone already
    if record.owners == {command.person}:
        raise Rejected("conflict", "The last owner of an organisation cannot be removed", "person", key="last_owner")
    return MemberRevoked(
        command_id=command.command_id,
        organisation=command.organisation,
        person=command.person,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_settings(
    state: Organisations, command: ChangeOrganisationSettings, now: datetime
) -> OrganisationSettingsChanged | None:
    record = _record(state, command.organisation)
    if record.organisation.require_two_step == command.require_two_step:
        return None
    return OrganisationSettingsChanged(
        command_id=command.command_id,
        organisation=command.organisation,
        require_two_step=command.require_two_step,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_issue_token(state: Organisations, command: IssueApiToken, now: datetime) -> ApiTokenIssued | None:
    _record(state, command.organisation)
    role = _role(command.role)
    events = _door_events(state, command.organisation, role, command.events)
    if not command.name.strip():
        raise Rejected("invalid", "Name the token (what the script is for)", "name", key="token_name_required")
    if state.token(command.token_id) is not None:
        return None
    return ApiTokenIssued(
        command_id=command.command_id,
        organisation=command.organisation,
        token_id=command.token_id,
        name=command.name.strip(),
        role=role,
        events=events,
        secret_hash=command.secret_hash,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_revoke_token(state: Organisations, command: RevokeApiToken, now: datetime) -> ApiTokenRevoked | None:
    record = _record(state, command.organisation)
    if command.token_id not in record.tokens:
        return None
    return ApiTokenRevoked(
        command_id=command.command_id,
        organisation=command.organisation,
        token_id=command.token_id,
        at=now,
        by_organiser=command.by_organiser,
    )


def decide_event_organisation(state: Organisations, event_slug: str, asked: str | None) -> str | None:
    """The organisation to record with a definition of `event_slug`. Raises Rejected.

    A new event goes to the organisation asked for (the default one if none); an existing one
    stays where it is, and asking to move it is refused.
    """
    current = state.event_orgs.get(event_slug)
    if current is not None:
        if asked is not None and asked != current:
            raise Rejected(
                "conflict", f"The event {event_slug!r} belongs to another organisation", "slug", key="event_exists"
            )
        return current
    target = asked or DEFAULT_ORGANISATION
    _record(state, target)
    return target
