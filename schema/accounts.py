"""GraphQL types of accounts: users and laboratories."""

from __future__ import annotations

import strawberry

from resolvers import catalog
from schema.relations import RowType


@strawberry.type(description="A person with an account (their public profile).")
class User(RowType):
    entity = catalog.USER

    id: int
    username: str
    first_name: str
    last_name: str


@strawberry.type(description="A laboratory (Alyx ``labs``).")
class Laboratory(RowType):
    entity = catalog.LABORATORY

    id: strawberry.ID
    name: str
    institution: str
    address: str
    timezone: str
