"""GET /healthz: which services answer over NATS (a `$SRV.PING` to each)."""

import asyncio
from typing import Any

from litestar import Request, Response, get
from litestar.openapi import ResponseSpec
from nats.aio.client import Client

from schemas.subjects import SERVICES
from services.web.views import HealthOut


async def _answers(nc: Client, service: str) -> bool:
    try:
        await nc.request(f"$SRV.PING.{service}", b"", timeout=1.0)
        return True
    except Exception:
        return False


@get(
    "/healthz",
    summary="Which services answer over NATS",
    tags=["operations"],
    responses={503: ResponseSpec(HealthOut, description="Degraded: some service does not answer, or NATS is gone.")},
)
async def healthz(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    nc: Client = request.app.state.gateway.nc
    answers = await asyncio.gather(*(_answers(nc, s) for s in SERVICES))
    services = dict(zip(SERVICES, answers, strict=True))
    healthy = nc.is_connected and all(answers)
    body = HealthOut(status="ok" if healthy else "degraded", services=services)
    return Response(body, status_code=200 if healthy else 503)
