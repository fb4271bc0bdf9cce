"""GET /favicon.ico: the organisation's logo, so browsers find an icon instead of a 404 in the logs."""

from typing import Any

from litestar import Request, Response, get

# The logo changes only with the configuration: browsers may keep it a day.
ICON_MAX_AGE = 86400


@get("/favicon.ico", include_in_schema=False, opt={"access": "public"})
async def favicon(request: Request[Any, Any, Any]) -> Response[bytes]:
    # The brand's logo is SVG (inlined in every page); browsers show an SVG icon in the tab.
    logo = str(request.app.state.brand.logo).encode()
    return Response(logo, media_type="image/svg+xml", headers={"Cache-Control": f"public, max-age={ICON_MAX_AGE}"})
