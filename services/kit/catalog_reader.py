"""The events as the catalog defines them, for a service that follows the catalog's stream
read-only (never writes it) and needs an event's spec to decide."""

from collections.abc import Callable

from nats.aio.client import Client

from schemas.catalog import CatalogEvent, EventDefined, EventSpec
from schemas.errors import Rejected
from schemas.subjects import Catalog
from services.kit.store import EventStore


class CatalogReader:
    def __init__(self, on_defined: Callable[[EventDefined], None] | None = None) -> None:
        # Every event defined so far, published or not, by slug.
        self.specs: dict[str, EventSpec] = {}
        # Called with each definition (a new event or a new revision), once `specs` holds it.
        self._on_defined = on_defined

    async def open(self, nc: Client) -> None:
        self._store: EventStore[CatalogEvent] = EventStore(nc, "catalog", CatalogEvent, self._on_event)
        await self._store.open()

    async def close(self) -> None:
        await self._store.close()

    def _on_event(self, event: CatalogEvent, _subject: str) -> None:
        if isinstance(event, EventDefined):
            self.specs[event.spec.slug] = event.spec
            if self._on_defined is not None:
                self._on_defined(event)

    async def spec(self, slug: str, published_only: bool = False) -> EventSpec:
        """The event's spec; an event defined (or published) a moment ago is waited for; unknown,
        or unpublished when `published_only`, is refused as not found."""
        if not self._readable(slug, published_only):
            await self._store.catch_up_subject(Catalog.event_subject(slug))
        if not self._readable(slug, published_only):
            raise Rejected("not_found", f"No event {slug!r}", "event", key="event_not_found")
        return self.specs[slug]

    def _readable(self, slug: str, published_only: bool) -> bool:
        spec = self.specs.get(slug)
        return spec is not None and ((spec.published and not spec.archived) or not published_only)
