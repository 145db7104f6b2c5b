"""BrainSTEM's part of ``/api/openapi.json`` (seeds 001, 002): the model endpoints under each
portal, the token endpoints and the device login's JSON endpoints.

Built from the declarations the shim itself runs on: the models (:mod:`.models`:
URL names, apps, envelope keys, fields, relations, writes), the entities' allowlists (the
filter operators and sortable fields of each field's kind) and the route tables of
:mod:`.auth` and :mod:`.device`. A filter, sort field or include the shim refuses is
not documented, and one it takes is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.auth.principal import Portal
from gateway.http.openapi import (
    KIND_SCHEMAS,
    RATE_LIMIT_HEADERS,
    SIGNED_IN,
    Schema,
    error_responses,
    errors,
    json_content,
    nullable,
    path_parameter,
    paths_of,
    query,
    ref,
)
from gateway.rest.brainstem import auth, device, schemas
from gateway.rest.brainstem.models import BY_ENTITY, MODELS, Model, Writes, is_members
from gateway.rest.brainstem.query import DEFAULT_LIMIT, MAX_INCLUDE_DEPTH
from resolvers.approvals import Decision
from resolvers.query import FieldSpec
from resolvers.relations import Relation, ToMany

TAG = "BrainSTEM"
PREFIX = "Brainstem"
ERROR: Schema = {
    "type": "object",
    "description": 'Django REST framework\'s errors: {"detail": "..."}, or '
    '{"<field>": ["..."]} naming the field at fault.',
    "minProperties": 1,
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR_TEXTS = {
    400: "malformed input, or a filter, ordering, include or page the model does not allow.",
    401: "an invalid or expired token (a request without one is anonymous).",
    403: "signed in, but not allowed (the super portal is for administrators).",
    404: "no such record, or one the caller may not see (the same answer); no such portal.",
    405: "a write on the read-only public portal, or a method the model does not take.",
    409: "the record changed underneath the request (an approval already reviewed, a "
    "record still in use).",
    429: "too many requests; retry after Retry-After seconds.",
}
READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 405, 429)
PORTAL = path_parameter(
    "portal",
    {"type": "string", "enum": [portal.value for portal in Portal]},
    "public: anonymous callers allowed, public rows only, read-only; private: what the "
    "caller's projects hold; super: administrators, every row.",
)


def _title(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _record_name(model: Model) -> str:
    return f"{PREFIX}{_title(model.singular)}"


def _spec(model: Model, name: str) -> FieldSpec:
    column = model.filter_field(name)
    assert column is not None
    return model.entity.field_spec(column)


def _id_schema(model: Model) -> Schema:
    return dict(KIND_SCHEMAS[model.entity.field_spec("id").kind])


def _approval_of(model: Model) -> Model:
    """The model a write on ``model`` answers with: a taxonomy write answers its approval."""
    if model.writes is not Writes.TAXONOMY:
        return model
    return next(m for m in MODELS.values() if m.approval_of == model.name)


# --- query parameters --------------------------------------------------------------------------


def _filter_parameters(model: Model) -> Iterator[Schema]:
    """``filter{name}`` (equals) and ``filter{name.op}`` for every operator of its kind."""
    for name in model.filter_names:
        spec = _spec(model, name)
        value = KIND_SCHEMAS[spec.kind]
        yield query(f"filter{{{name}}}", value, f"{name} equals the value.")
        for op in sorted(spec.ops - {"eq"}):
            key = f"filter{{{name}.{op}}}"
            if op == "in":  # a comma-separated list: form style, not exploded
                items = {"type": "array", "items": value}
                yield {**query(key, items, f"{name} is one of these."), "explode": False}
            elif op == "isnull":
                yield query(key, {"type": "boolean"}, f"{name} is (true) or is not (false) null.")
            else:
                yield query(key, value, f"{name} {op} the value.")


def _include_paths(model: Model, depth: int = MAX_INCLUDE_DEPTH) -> Iterator[str]:
    """Every relation path ``include[]`` takes from ``model`` (as :func:`parse_include`
    checks them): related records are expanded further, members and unmodelled ones not."""
    for name, relation in model.related.items():
        yield name
        if not is_members(relation) and depth > 1:
            for path in _include_paths(BY_ENTITY[relation.target], depth - 1):
                yield f"{name}.{path}"
    yield from sorted(model.unmodelled)


def _include(model: Model) -> list[Schema]:
    paths = list(_include_paths(model))
    if not paths:
        return []
    values = [form for path in paths for form in (path, f"{path}.*")]
    schema = {"type": "array", "items": {"type": "string", "enum": values}}
    text = "Embed the related records in place of their ids (nested: rel.rel2.*)."
    return [{**query("include[]", schema, text), "style": "form", "explode": True}]


def _list_parameters(model: Model, max_page_size: int) -> list[Schema]:
    sortable = [form for name in model.sort_names for form in (name, f"-{name}")]
    sort = {"type": "array", "items": {"type": "string", "enum": sortable}}
    return [
        PORTAL,
        *_filter_parameters(model),
        {**query("sort[]", sort, "Order by fields; -field descends."), "explode": True},
        *_include(model),
        query(
            "limit",
            {"type": "integer", "minimum": 0, "maximum": max_page_size, "default": DEFAULT_LIMIT},
            f"Records per page (at most {max_page_size}; more is a 400).",
        ),
        query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Records to skip."),
    ]


# --- schemas -----------------------------------------------------------------------------------


def _relation_schema(relation: Relation) -> Schema:
    if is_members(relation):
        member = {
            "type": "object",
            "properties": {
                flag: {"type": "boolean"} for flag in ("can_change", "is_manager", "is_owner")
            },
        }
        return {
            "type": "object",
            "description": "Members by username.",
            "additionalProperties": member,
        }
    target = BY_ENTITY[relation.target]
    one = {"anyOf": [_id_schema(target), ref(_record_name(target))]}
    if isinstance(relation, ToMany):
        return {"type": "array", "items": one, "description": "Ids, or records when included."}
    return {"anyOf": [nullable(_id_schema(target)), ref(_record_name(target))]}


def _record(model: Model) -> Schema:
    properties: dict[str, Schema] = {}
    for name, column in model.fields.items():
        spec = model.entity.fields.get(column)
        schema = dict(KIND_SCHEMAS[spec.kind]) if spec else {}
        properties[name] = schema if name == "id" else nullable(schema)
    if model.approval_of is not None:
        # An approval shows the record it proposes, in the taxonomy model's fields.
        properties.update({name: {} for name in MODELS[model.approval_of].writable})
    properties.update({name: _relation_schema(r) for name, r in model.related.items()})
    unmodelled = {"type": "array", "maxItems": 0, "description": "Not kept by neurogate."}
    properties.update({name: unmodelled for name in sorted(model.unmodelled)})
    return {
        "type": "object",
        "required": [name for name in properties if name not in model.unmodelled],
        "properties": properties,
    }


def _body(model: Model) -> Schema:
    properties: dict[str, Schema] = {}
    for name, value in model.writable.items():
        relation = model.related.get(name)
        if relation is not None and is_members(relation):
            properties[name] = {
                "type": "object",
                "description": 'Members by email or username; {"remove": true} drops one.',
            }
        elif relation is not None:
            target = _id_schema(BY_ENTITY[relation.target])
            properties[name] = (
                {"type": "array", "items": target}
                if isinstance(relation, ToMany)
                else nullable(target)
            )
        else:
            spec = model.entity.fields.get(value)
            properties[name] = nullable(dict(KIND_SCHEMAS[spec.kind])) if spec else {}
    ignored = ", ".join(sorted(model.read_only)) or "none"
    return {
        "type": "object",
        "description": f"Read-only fields are ignored ({ignored}); any other is a 400.",
        "properties": properties,
    }


def _schemas(model: Model) -> dict[str, Schema]:
    record = _record_name(model)
    schemas = {
        record: _record(model),
        f"{record}List": {
            "type": "object",
            "required": [model.plural, "count", "next", "previous"],
            "properties": {
                model.plural: {"type": "array", "items": ref(record)},
                "count": {"type": "integer", "minimum": 0},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
            },
        },
        f"{record}Detail": {
            "type": "object",
            "required": [model.singular],
            "properties": {model.singular: ref(record)},
        },
    }
    if model.writes in (Writes.EXPERIMENT, Writes.TAXONOMY):
        schemas[f"{record}Write"] = _body(model)
    return schemas


# --- paths -------------------------------------------------------------------------------------


def _operation(model: Model, action: str, **fields: Any) -> Schema:
    return {"operationId": f"brainstem_{model.name}_{action}", "tags": [TAG], **fields}


def _detail(model: Model, status: str = "200") -> dict[str, Schema]:
    answered = _approval_of(model)
    text = f"The {answered.singular.replace('_', ' ')}."
    return {status: json_content(ref(f"{_record_name(answered)}Detail"), text)}


def _write_body(model: Model) -> Schema:
    schema = ref(f"{_record_name(model)}Write")
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _model_paths(model: Model, app: str, max_page_size: int) -> dict[str, Schema]:
    base = f"/api/{{portal}}/{app}/{model.name}/"
    record = _record_name(model)
    key = path_parameter("id", _id_schema(model))
    also = f" Also at {', '.join(model.aliases)}." if model.aliases else ""
    page = json_content(ref(f"{record}List"), f"A page of {model.plural.replace('_', ' ')}.")
    collection: Schema = {
        "get": _operation(
            model,
            "list",
            description=f"List {model.plural.replace('_', ' ')}.{also}",
            parameters=_list_parameters(model, max_page_size),
            responses={"200": page, **errors(PREFIX, READ_ERRORS)},
        )
    }
    item: Schema = {
        "get": _operation(
            model,
            "retrieve",
            parameters=[PORTAL, key, *_include(model)],
            responses={**_detail(model), **errors(PREFIX, READ_ERRORS)},
        )
    }
    paths = {base: collection, f"{base}{{id}}/": item}
    if model.writes in (Writes.EXPERIMENT, Writes.TAXONOMY):
        taxonomy = model.writes is Writes.TAXONOMY
        # A taxonomy record is proposed for review, not written: the answer is the approval.
        how = ", as a proposal for review (the answer is the approval)" if taxonomy else ""
        failures = errors(PREFIX, (*WRITE_ERRORS, 409) if taxonomy else WRITE_ERRORS)
        collection["post"] = _operation(
            model,
            "create",
            description=f"Create a {model.singular}{how}.",
            parameters=[PORTAL],
            requestBody=_write_body(model),
            responses={**_detail(model, "201"), **failures},
        )
        for method, verb in (("put", "replace"), ("patch", "update")):
            item[method] = _operation(
                model,
                verb,
                description=f"{verb.capitalize()} a {model.singular}{how}.",
                parameters=[PORTAL, key],
                requestBody=_write_body(model),
                responses={**_detail(model), **failures},
            )
        admins = " Administrators only." if taxonomy else ""
        item["delete"] = _operation(
            model,
            "destroy",
            description=f"Delete a {model.singular}.{admins}",
            parameters=[PORTAL, key],
            responses={"204": {"description": "Deleted."}, **failures},
        )
    if model.writes is Writes.APPROVAL:
        decisions = [d.value for d in Decision]
        options = {
            "type": "object",
            "required": ["options"],
            "properties": {"options": {"type": "string", "enum": decisions}},
        }
        reviewed = {**_detail(model), **errors(PREFIX, (*WRITE_ERRORS, 409))}
        item["patch"] = _operation(
            model,
            "review",
            description="Accept or reject (reviewers and administrators).",
            parameters=[PORTAL, key],
            requestBody={"required": True, "content": {"application/json": {"schema": options}}},
            responses=reviewed,
        )
        action = path_parameter("action", {"type": "string", "enum": decisions})
        paths[f"{base}{{id}}/{{action}}/"] = {
            method: _operation(
                model,
                f"{method}_action",
                description="Accept or reject (reviewers and administrators).",
                parameters=[PORTAL, key, action],
                responses=reviewed,
            )
            for method in ("patch", "post")
        }
    for operations in paths.values():
        for method, operation in operations.items():
            if method != "get":  # reads are open to anonymous callers on the public portal
                operation["security"] = SIGNED_IN
    return paths


# --- tokens and the device login ---------------------------------------------------------------


def _credentials(*names: str) -> Schema:
    schema = {
        "type": "object",
        "required": list(names),
        "properties": {name: {"type": "string"} for name in names},
    }
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_PAIR = json_content(ref(f"{PREFIX}TokenPair"), "An access JWT and a refresh JWT.")
# The device token endpoint answers every error as RFC 8628 says (ErrorFormat.OAUTH).
_OAUTH_ERROR: Schema = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_GRANT_ERROR = json_content(
    _OAUTH_ERROR,
    "Bad Request: an RFC 8628 grant error (expired_token, access_denied, invalid_grant, "
    "invalid_request, ...).",
)
_SLOW_DOWN = {
    **json_content(_OAUTH_ERROR, "Too Many Requests: slow_down; retry after Retry-After seconds."),
    "headers": {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
        **RATE_LIMIT_HEADERS,
    },
}
_STRINGS = {"type": "string"}
_LEGACY = ("access", "token", "token_id", "message")
AUTH_OPERATIONS: dict[Any, Schema] = {
    auth.token_pair: {
        "description": "Log in with an email and a password.",
        "security": [],
        "requestBody": _credentials("email", "password"),
        "responses": {"200": _PAIR, **errors(PREFIX, (400, 401, 429))},
    },
    auth.refresh: {
        "description": "Trade a refresh JWT for a new pair (the old one is spent).",
        "security": [],
        "requestBody": _credentials("refresh"),
        "responses": {"200": _PAIR, **errors(PREFIX, (400, 401, 429))},
    },
    auth.legacy_token: {
        "description": "A personal access token (older clients read token, newer access).",
        "security": [],
        "requestBody": _credentials("username", "password"),
        "responses": {
            "200": json_content(
                {
                    "type": "object",
                    "required": list(_LEGACY),
                    "properties": dict.fromkeys(_LEGACY, _STRINGS),
                },
                "A personal access token.",
            ),
            **errors(PREFIX, (400, 401, 429)),
        },
    },
    device.start: {
        "description": "Start a device login: the codes, and where the user enters them.",
        "security": [],
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"client_name": _STRINGS}}
                }
            }
        },
        "responses": {
            "200": json_content(ref(f"{PREFIX}DeviceGrant"), "The device login started."),
            **errors(PREFIX, (400, 409, 429)),
        },
    },
    device.token: {
        "description": "Poll a device login: pending (still a 200), or the personal token.",
        "security": [],
        "requestBody": _credentials("device_code"),
        "responses": {
            "200": json_content(ref(f"{PREFIX}DevicePoll"), "Pending, or approved."),
            "400": _GRANT_ERROR,
            "429": _SLOW_DOWN,
        },
    },
    schemas.list_schemas: {
        "description": "Every JSON Schema a structured details payload follows, by group and "
        "type: the link to each.",
        "security": [],
        "responses": {
            "200": json_content(
                {
                    "type": "object",
                    "required": ["schemas"],
                    "properties": {
                        "schemas": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": {"type": "string", "format": "uri"},
                            },
                        }
                    },
                },
                "The groups, their types and the link to each schema.",
            ),
        },
    },
    schemas.one_schema: {
        "description": "The JSON Schema (draft 2020-12) the details of one type must satisfy.",
        "security": [],
        "responses": {
            "200": {
                "description": "The schema.",
                "content": {"application/schema+json": {"schema": {"type": "object"}}},
            },
            **errors(PREFIX, (404,)),
        },
    },
}
SCHEMAS: dict[str, Schema] = {
    f"{PREFIX}TokenPair": {
        "type": "object",
        "required": ["access", "refresh", "token_type", "expires_in"],
        "properties": {
            "access": _STRINGS,
            "refresh": _STRINGS,
            "token_type": {"type": "string", "enum": ["bearer"]},
            "expires_in": {"type": "integer"},
        },
    },
    f"{PREFIX}DeviceGrant": {
        "type": "object",
        "required": ["device_code", "user_code", "verification_uri", "expires_in", "interval"],
        "properties": {
            "device_code": _STRINGS,
            "user_code": _STRINGS,
            "verification_uri": {"type": "string", "format": "uri"},
            "verification_uri_complete": {"type": "string", "format": "uri"},
            "expires_in": {"type": "integer"},
            "interval": {"type": "integer"},
        },
    },
    f"{PREFIX}DevicePoll": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["authorization_pending", "success"]},
            "token": _STRINGS,
        },
    },
}


def paths(max_page_size: int) -> dict[str, Schema]:
    """Every BrainSTEM path: each model under each app it is served under, then the token
    endpoints and the device login's JSON ones (its HTML page is for browsers: left out)."""
    documented: dict[str, Schema] = {}
    for model in MODELS.values():
        for app in sorted(model.apps):
            documented.update(_model_paths(model, app, max_page_size))
    routes = (*auth.ROUTES, *device.ROUTES, *schemas.ROUTES)
    ignore = (device.verify_page, device.verify_submit)
    documented.update(paths_of(routes, AUTH_OPERATIONS, tag=TAG, ignore=ignore))
    return documented


def components() -> dict[str, dict[str, Schema]]:
    schemas = {f"{PREFIX}Error": ERROR, **SCHEMAS}
    for model in MODELS.values():
        schemas.update(_schemas(model))
    return {
        "schemas": schemas,
        "responses": error_responses(PREFIX, ref(f"{PREFIX}Error"), ERROR_TEXTS),
    }
