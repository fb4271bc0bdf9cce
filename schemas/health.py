"""Whether a service can do its work now: the query `/healthz` sends each service."""

import msgspec


class GetHealth(msgspec.Struct, frozen=True, kw_only=True):
    pass


class Health(msgspec.Struct, tag="health", frozen=True, kw_only=True):
    service: str
    # False when a write would be refused now (e.g. its stream has no leader).
    writable: bool
    # What is wrong, for the operator (empty when writable).
    problems: list[str] = []
