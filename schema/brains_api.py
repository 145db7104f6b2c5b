"""Brain scans and file uploads in GraphQL: upload, change, verify, delete; my uploads.

Files travel as the ``Upload`` scalar of the GraphQL multipart request spec; the view has
already streamed them to the storage directory, so a mutation receives a staged file, never
bytes. Requests carrying files must send ``Apollo-Require-Preflight`` (or
``X-Neurogate-Preflight``): see gateway/graphql_view.py. Expected failures are typed results.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from gateway.errors import NeurogateError
from resolvers import brains
from resolvers.context import Context
from schema.errors import (
    AuthenticationError,
    ConflictError,
    Done,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    error_result,
)
from schema.listing import LIMIT, OFFSET, as_objects
from schema.query import REGISTRY
from schema.types import Brain, FileUpload

Info = strawberry.Info[Context, None]

BrainResult = Annotated[
    Brain
    | ValidationError
    | AuthenticationError
    | PermissionDeniedError
    | NotFoundError
    | ConflictError,
    strawberry.union("BrainResult", description="The brain, or why not."),
]
FileUploadResult = Annotated[
    FileUpload | ValidationError | AuthenticationError | ConflictError,
    strawberry.union("FileUploadResult", description="The stored upload, or why not."),
]
DeleteBrainResult = Annotated[
    Done | AuthenticationError | PermissionDeniedError | NotFoundError,
    strawberry.union("DeleteBrainResult", description="Done, or why not."),
]


_NAME = "Display name, at most 255 characters."
_SPECIES = "The species' scientific name, or its id."
_DESCRIPTION = "What it shows."
_WEBSITE = "A web page about it (an http(s) URL)."
_REFERENCE = "Whether it is a reference brain of its species."
_BRAIN_ID = Annotated[int, strawberry.argument(description="The brain's id.")]
_FILE = Annotated[Upload, strawberry.argument(description="The file (multipart request).")]


@strawberry.input(description="A new brain scan's metadata (the file travels separately).")
class BrainInput:
    name: str = strawberry.field(description=_NAME)
    species: str = strawberry.field(description=_SPECIES)
    description: str = strawberry.field(default="", description=_DESCRIPTION)
    website: str = strawberry.field(default="", description=_WEBSITE)
    is_reference: bool = strawberry.field(default=False, description=_REFERENCE)


@strawberry.input(description="Changes to a brain's metadata: only the fields given change.")
class BrainChangeInput:
    name: str | None = strawberry.field(default=None, description=_NAME)
    species: str | None = strawberry.field(default=None, description=_SPECIES)
    description: str | None = strawberry.field(default=None, description=_DESCRIPTION)
    website: str | None = strawberry.field(default=None, description=_WEBSITE)
    is_reference: bool | None = strawberry.field(default=None, description=_REFERENCE)


async def _brain(info: Info, row: Any) -> Brain:
    return (await as_objects(info, REGISTRY, Brain, [row]))[0]  # type: ignore[no-any-return]


@strawberry.type
class BrainMutation:
    @strawberry.mutation(
        description=(
            "Upload a brain scan: it gets a unique readable id (the slug of its name) and "
            "stays unverified, visible only to you, until a reviewer verifies it."
        )
    )
    async def upload_brain(
        self,
        info: Info,
        file: _FILE,
        input: Annotated[BrainInput, strawberry.argument(description="Its metadata.")],
    ) -> BrainResult:
        try:
            row = await brains.upload_brain(
                info.context,
                file=file,
                name=input.name,
                species=input.species,
                description=input.description,
                website=input.website,
                is_reference=input.is_reference,
            )
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return await _brain(info, row)

    @strawberry.mutation(description="Change a brain's metadata (its uploader or an admin).")
    async def update_brain(
        self,
        info: Info,
        id: _BRAIN_ID,
        input: Annotated[
            BrainChangeInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> BrainResult:
        try:
            row = await brains.update_brain(
                info.context,
                brain_id=id,
                name=input.name,
                species=input.species,
                description=input.description,
                website=input.website,
                is_reference=input.is_reference,
            )
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return await _brain(info, row)

    @strawberry.mutation(
        description=(
            "Delete a brain (its uploader or an admin), with its upload; the stored file goes "
            "too unless another upload has the same content."
        )
    )
    async def delete_brain(self, info: Info, id: _BRAIN_ID) -> DeleteBrainResult:
        try:
            await brains.delete_brain(info.context, brain_id=id)
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return Done()

    @strawberry.mutation(description="Mark a brain verified, or not (reviewers and admins).")
    async def verify_brain(
        self,
        info: Info,
        id: _BRAIN_ID,
        verified: Annotated[
            bool, strawberry.argument(description="Verified (default) or not.")
        ] = True,
    ) -> BrainResult:
        try:
            row = await brains.verify_brain(info.context, brain_id=id, verified=verified)
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return await _brain(info, row)

    @strawberry.mutation(
        description="Store a file; `name` defaults to the file's own name. Identical content "
        "is stored once."
    )
    async def upload_file(
        self,
        info: Info,
        file: _FILE,
        name: Annotated[
            str | None, strawberry.argument(description="Its name (default the file's own).")
        ] = None,
    ) -> FileUploadResult:
        try:
            row = await brains.upload_file(info.context, file=file, name=name)
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return (await as_objects(info, REGISTRY, FileUpload, [row]))[0]  # type: ignore[no-any-return]


@strawberry.type
class BrainQuery:
    @strawberry.field(
        description=(
            "Your own uploads, newest first (`fileUploads` lists every upload you may see). "
            "Download one with GET /files/{id}."
        )
    )
    async def my_file_uploads(
        self,
        info: Info,
        limit: Annotated[int | None, strawberry.argument(description=LIMIT)] = None,
        offset: Annotated[int, strawberry.argument(description=OFFSET)] = 0,
    ) -> list[FileUpload]:
        page = await brains.list_my_uploads(info.context, limit=limit, offset=offset)
        return await as_objects(info, REGISTRY, FileUpload, page.rows)
