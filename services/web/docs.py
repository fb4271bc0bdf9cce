"""The API documentation at /schema: Swagger UI, served by Perche itself from the files
of the swagger-ui-bundle-v2 package (the npm swagger-ui-dist release, byte for byte), so
the page asks no other host and runs under the Content-Security-Policy."""

import html
from functools import cache
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from services.web.rendering import TEMPLATES
from services.web.security_headers import DOCS_PATH

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
INIT = "perche-init.js"
ASSETS_PATH = "/swagger-ui"


@cache
def _asset(name: str) -> bytes:
    if name == INIT:
        return (TEMPLATES / "docs" / "swagger-init.js").read_bytes()
    content: bytes = (swagger_ui_path / name).read_bytes()
    return content


@get(f"{ASSETS_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=False, opt={"access": "public"})
def swagger_asset(name: FromPath[str]) -> Response[bytes]:
    """One of Swagger UI's files, or the script that starts it."""
    media_type = "text/javascript" if name == INIT else ASSETS.get(name)
    if media_type is None:
        raise NotFoundException()
    return Response(_asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI at /schema and /schema/swagger; the other Litestar doc UIs are not served."""

    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        base = DOCS_PATH + ASSETS_PATH
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec = html.escape(self.get_openapi_json_route(request))
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="icon" type="image/png" href="{base}/favicon-32x32.png">
<link rel="stylesheet" href="{base}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec="{spec}"></div>
<script src="{base}/swagger-ui-bundle.js"></script>
<script src="{base}/{INIT}"></script>
</body>
</html>
"""
        return page.encode()

    def receive_router(self, router: Router) -> None:
        # Not the parent's OAuth2 redirect page: Perche's API uses bearer tokens, not OAuth2.
        router.register(swagger_asset)
