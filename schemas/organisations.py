"""Organisations (a school, a community of communes): their members, roles, settings and API tokens.

Stored as facts in the catalog's stream, one subject per organisation. A member is named by their
organiser id (a hash of the email, see the catalog), so a membership can name a person before they
have an account.
"""

from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

OrgSlug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Role = Literal["owner", "organiser", "door", "jury_coordinator"]
ROLES: Final[tuple[Role, ...]] = ("owner", "organiser", "door", "jury_coordinator")
# Where events and organisers of the days before organisations live (the upgrade puts them there).
DEFAULT_ORGANISATION: Final = "perche"
# An API token as a script sends it: `perche_<token id>.<secret>` (the catalog keeps a hash of the secret).
API_TOKEN_PREFIX: Final = "perche_"

Name = Annotated[str, Meta(min_length=1, max_length=200)]
Ref = Annotated[str, Meta(max_length=200)]


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """One person's role in one organisation; `events` are the events a door volunteer is given."""

    organisation: str
    role: Role
    events: list[str] = []


class Organisation(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    name_en: str = ""
    # Members must log in with a second step (TOTP); enforced by the accounts side.
    require_two_step: bool = False


class Member(msgspec.Struct, frozen=True, kw_only=True):
    person: str
    # Empty when the person is not known by email any more (erased).
    email: str
    role: Role
    events: list[str] = []
    # Whether the person has an account yet (else they are waiting for their invitation).
    has_account: bool = False


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    """A named token a script uses for one organisation, with one role; its secret is never shown again."""

    token_id: str
    name: str
    role: Role
    events: list[str] = []
    at: datetime
    by_organiser: str | None = None


# --- commands, queries and replies ---


class DefineOrganisation(msgspec.Struct, frozen=True, kw_only=True):
    """Create an organisation (its creator becomes its owner), or rename it."""

    command_id: Ref
    slug: OrgSlug
    name: Name
    name_en: Annotated[str, Meta(max_length=200)] = ""
    by_organiser: Ref | None = None


class GrantMember(msgspec.Struct, frozen=True, kw_only=True):
    """Give a person (by email) a role in an organisation, or change the role they have.

    `role` is a plain string so that an unknown one gets the catalog's precise answer.
    """

    command_id: Ref
    organisation: str
    email: Annotated[str, Meta(max_length=254)]
    role: Annotated[str, Meta(max_length=40)]
    events: Annotated[list[Ref], Meta(max_length=200)] = []
    by_organiser: Ref | None = None
    # For the invitation mailed to a person without an account: its language, and who asks (throttle).
    language: Literal["fr", "en"] = "fr"
    address: Annotated[str, Meta(max_length=100)] = ""


class RevokeMember(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Ref
    organisation: str
    person: Ref
    by_organiser: Ref | None = None


class ChangeOrganisationSettings(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Ref
    organisation: str
    require_two_step: bool
    by_organiser: Ref | None = None


class IssueApiToken(msgspec.Struct, frozen=True, kw_only=True):
    """A new API token; the web makes the secret and sends only its hash, so a repeat issues nothing new."""

    command_id: Ref
    organisation: str
    name: Name
    role: Annotated[str, Meta(max_length=40)]
    events: Annotated[list[Ref], Meta(max_length=200)] = []
    token_id: Annotated[str, Meta(pattern=r"^[a-f0-9]{16}$")]
    secret_hash: Annotated[str, Meta(pattern=r"^[a-f0-9]{64}$")]
    by_organiser: Ref | None = None


class RevokeApiToken(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Ref
    organisation: str
    token_id: Ref
    by_organiser: Ref | None = None


class OrganisationChanged(msgspec.Struct, frozen=True, kw_only=True, tag="organisation_changed"):
    """The answer to every organisation command: the organisation as it now is."""

    organisation: Organisation
    changed: bool


class ListOrganisations(msgspec.Struct, frozen=True, kw_only=True):
    pass


class OrganisationList(msgspec.Struct, frozen=True, kw_only=True, tag="organisation_list"):
    organisations: list[Organisation]


class GetOrganisation(msgspec.Struct, frozen=True, kw_only=True):
    """An organisation with its members and tokens (for its owners' pages)."""

    slug: str


class OrganisationDetail(msgspec.Struct, frozen=True, kw_only=True, tag="organisation_detail"):
    organisation: Organisation
    members: list[Member]
    tokens: list[ApiToken] = []
    events: list[str] = []


class CheckApiToken(msgspec.Struct, frozen=True, kw_only=True):
    token: Annotated[str, Meta(max_length=300)]


class ApiTokenValid(msgspec.Struct, frozen=True, kw_only=True, tag="api_token_valid"):
    token_id: str
    name: str
    membership: Membership


# --- events in the catalog stream ---


class OrganisationDefined(msgspec.Struct, frozen=True, kw_only=True, tag="organisation_defined"):
    command_id: str
    slug: str
    name: str
    name_en: str = ""
    at: datetime
    by_organiser: str | None = None


class MemberGranted(msgspec.Struct, frozen=True, kw_only=True, tag="member_granted"):
    """A person has this role in the organisation from now on (replacing any role they had there)."""

    command_id: str
    organisation: str
    person: str
    role: Role
    events: list[str] = []
    at: datetime
    by_organiser: str | None = None


class MemberRevoked(msgspec.Struct, frozen=True, kw_only=True, tag="member_revoked"):
    command_id: str
    organisation: str
    person: str
    at: datetime
    by_organiser: str | None = None


class OrganisationSettingsChanged(msgspec.Struct, frozen=True, kw_only=True, tag="organisation_settings_changed"):
    command_id: str
    organisation: str
    require_two_step: bool
    at: datetime
    by_organiser: str | None = None


class ApiTokenIssued(msgspec.Struct, frozen=True, kw_only=True, tag="api_token_issued"):
    command_id: str
    organisation: str
    token_id: str
    name: str
    role: Role
    events: list[str] = []
    # sha256 of the secret, hex: the secret itself is shown once to its owner and stored nowhere.
    secret_hash: str
    at: datetime
    by_organiser: str | None = None


class ApiTokenRevoked(msgspec.Struct, frozen=True, kw_only=True, tag="api_token_revoked"):
    command_id: str
    organisation: str
    token_id: str
    at: datetime
    by_organiser: str | None = None


OrganisationEvent = (
    OrganisationDefined | MemberGranted | MemberRevoked | OrganisationSettingsChanged | ApiTokenIssued | ApiTokenRevoked
)
