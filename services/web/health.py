"""GET /healthz: whether each service answers over NATS and can write now.

Each service answers its health query by asking for its streams' info with a short timeout:
a stream without a leader (JetStream down, a cluster without quorum) is a service that would
refuse every write, so /healthz says 503 "degraded" and names what is wrong.
"""

import asyncio

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from schemas.health import GetHealth, Health
from schemas.subjects import SERVICES, health_of
from services.kit.client import ServiceError
from services.web.gateway import Gateway
from services.web.views import HealthOut

# Above the services' own stream info timeout (1 s), so a slow stream is reported, not a silent one.
HEALTH_TIMEOUT = 2.0


async def _problems(gateway: Gateway, service: str) -> list[str]:
    try:
        reply = await gateway.call(health_of(service), GetHealth(), Health, timeout=HEALTH_TIMEOUT)
    except ServiceError as error:
        if error.reply.code == "unavailable":
            return [f"{service} does not answer"]
        return [f"{service}: {error.reply.message}"]
    return list(reply.problems) if not reply.writable else []


@get(
    "/healthz",
    summary="Which services answer over NATS and can write now",
    tags=["operations"],
    responses={503: ResponseSpec(HealthOut, description="Degraded: some service does not answer, or cannot write.")},
    opt={"access": "public"},
)
async def healthz(gateway: NamedDependency[Gateway]) -> Response[HealthOut]:
    found = await asyncio.gather(*(_problems(gateway, s) for s in SERVICES))
    problems = {service: listed for service, listed in zip(SERVICES, found, strict=True) if listed}
    services = {service: service not in problems for service in SERVICES}
    healthy = gateway.nc.is_connected and not problems
    body = HealthOut(status="ok" if healthy else "degraded", services=services, problems=problems)
    return Response(body, status_code=200 if healthy else 503)
