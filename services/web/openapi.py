"""Making the generated OpenAPI document, and OPTIONS, say what the app really does."""

import dataclasses
import json
import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Reference, Schema
from litestar.routes import HTTPRoute

_SNAKE = re.compile(r"[A-Z]")
_REF = "#/components/schemas/{name}"
_REF_KEY = '"$ref"'
_ERROR_OUT = "#/components/schemas/ErrorOut"
_BAD_REQUEST = "The request is malformed: a parameter or a field of the body breaks its schema."


def _structs(root: type = msgspec.Struct) -> list[type]:
    found: list[type] = []
    for sub in root.__subclasses__():
        found += [sub, *_structs(sub)]
    return found


def _schema(value: Any) -> Any:
    """A JSON Schema fragment (msgspec's) as Litestar's Schema objects."""
    if isinstance(value, list):
        return [_schema(v) for v in value]
    if not isinstance(value, dict):
        return value
    fields: dict[str, Any] = {}
    for key, item in value.items():
        name = _SNAKE.sub(lambda m: "_" + m.group(0).lower(), key)
        if name in ("any_of", "one_of", "all_of", "prefix_items"):
            fields[name] = [_schema(v) for v in item]
        elif name in ("items", "additional_properties"):
            fields[name] = _schema(item)
        elif name == "properties":
            fields[name] = {k: _schema(v) for k, v in item.items()}
        elif name == "type":
            fields[name] = OpenAPIType(item)
        else:
            fields[name] = item
    return Schema(**fields)


def _has_format(schema: Schema) -> bool:
    return schema.format is not None or any(isinstance(s, Schema) and s.format for s in schema.one_of or [])


def precise_components(openapi: OpenAPI) -> None:
    """Litestar drops the limits of a list's items (list[Ident]), puts those of an optional field beside
    its oneOf where they bind nothing, and documents a Struct that forbids unknown fields as an open object.
    msgspec's own JSON Schema has them right: take each plain property (one that refers to no other
    component) and `additionalProperties` from it, for every Struct whose name no other Struct shares."""
    by_name: dict[str, list[type]] = {}
    for struct in _structs():
        by_name.setdefault(struct.__name__, []).append(struct)
    for name, schema in (openapi.components.schemas or {}).items():
        structs = by_name.get(name, [])
        if len(structs) != 1 or schema.properties is None:
            continue
        exact = msgspec.json.schema_components(structs, ref_template=_REF)[1][name]
        for prop, definition in exact.get("properties", {}).items():
            known = schema.properties.get(prop)
            # msgspec writes a datetime as a bare string; Litestar's `format: date-time` says more.
            if isinstance(known, Schema) and _REF_KEY not in json.dumps(definition) and not _has_format(known):
                schema.properties[prop] = _schema(definition)
        if exact.get("additionalProperties") is False:
            schema.additional_properties = False
        if schema.description is None and exact.get("description"):
            schema.description = exact["description"]


def complete_allow_headers(app: Litestar) -> None:
    """Litestar 2 answers OPTIONS with the methods of the handlers first registered on a path, not all of
    them (litestar-org/litestar#4169, fixed in 3.0): point each OPTIONS handler at its whole route."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.handler_name != "options_handler":
                continue
            for cell in handler.fn.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route


def plain_optional_parameters(openapi: OpenAPI) -> None:
    """An optional header or query parameter is absent or a string, never null: Litestar writes `str | None`
    as oneOf [string, null] with the limits beside it, where they bind nothing; write it as a string
    that carries its limits."""
    for path in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path, method, None)
            for parameter in (operation.parameters or []) if operation else []:
                schema = getattr(parameter, "schema", None)
                if not isinstance(schema, Schema) or not schema.one_of or parameter.required:
                    continue
                kept = [s for s in schema.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.NULL)]
                if len(kept) != 1 or not isinstance(kept[0], Schema):
                    continue
                limits = {
                    f.name: getattr(schema, f.name)
                    for f in dataclasses.fields(Schema)
                    if f.name != "one_of" and getattr(schema, f.name) is not None
                }
                parameter.schema = dataclasses.replace(kept[0], **limits)


def real_validation_errors(openapi: OpenAPI) -> None:
    """Litestar documents its own 400 body (status_code, detail, extra) wherever a parameter can fail
    to validate; ours is an ErrorOut (on_http_error), so say that, as every declared error does."""
    for path in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path, method, None)
            response = (operation.responses or {}).get("400") if operation else None
            media = (response.content or {}).get("application/json") if isinstance(response, OpenAPIResponse) else None
            if isinstance(response, OpenAPIResponse) and media is not None and isinstance(media.schema, Schema):
                response.description = _BAD_REQUEST
                response.content = {"application/json": OpenAPIMediaType(schema=Reference(_ERROR_OUT))}


class _HonestOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, finishing the document the first time it is asked for."""

    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        if self._openapi is None:
            openapi = super().provide_openapi()
            precise_components(openapi)
            plain_optional_parameters(openapi)
            real_validation_errors(openapi)
        return super().provide_openapi()


def honest_openapi(app: Litestar) -> None:
    """Finish the OpenAPI document when it is first served, not at every start: building it costs
    a third of a second, and most apps (every test's) never serve it. The plugin is the same object,
    with the method above (a subclass with no state of its own, so its class can be switched)."""
    app.plugins.get(OpenAPIPlugin).__class__ = _HonestOpenAPIPlugin
