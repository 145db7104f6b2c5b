"""A small BrainMaps world for the REST shim tests: two categories, three species, brains
verified and not, and people with tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Brain
from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.factories import build

PREFIXES = ("/api", "/v1/api", "/v1")
SEED_401 = {"error": "Authentication required", "detail": "Please log in to access this resource"}
SEED_403 = {
    "error": "Permission denied",
    "detail": "You don't have permission to perform this action",
}
SEED_404 = {"error": "Resource not found", "detail": "The requested resource does not exist"}
BAD_REQUEST = "Invalid request parameters"


@dataclass
class Atlas:
    tokens: dict[str, str]
    users: dict[str, int]
    brain_ids: dict[str, int]

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else bearer(self.tokens[who])


# (readable_id, name, description, species, verified, uploader)
BRAINS = [
    ("mouse-cortex", "Mouse cortex", "Nissl stain of the cortex", "Mus musculus", True, "alice"),
    ("mouse-hippo", "Mouse hippocampus", "Golgi stain", "Mus musculus", True, "bob"),
    ("rat-whole", "Rat whole brain", "MRI of a cortex and more", "Rattus norvegicus", True, "bob"),
    ("octo-draft", "Octopus draft", "Unreviewed", "Octopus vulgaris", False, "alice"),
]


async def arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> Atlas:
    users, tokens = {}, {}
    for name, flags in {"alice": {}, "bob": {}, "rita": {"is_reviewer": True}}.items():
        users[name] = await make_user(sessionmaker, f"{name}@maps.org", **flags)
        tokens[name] = await personal_token(sessionmaker, users[name], now=utcnow())

    async def recipe(world: Any) -> dict[str, int]:
        rodents = await world.category(name="Rodents", description="Mice and rats")
        cephalopods = await world.category(
            name="Cephalopods", description="Octopuses, squids, and cuttlefish"
        )
        species = {
            "Mus musculus": await world.species(
                name="House mouse",
                scientific_name="Mus musculus",
                description="The lab mouse",
                category_id=rodents.id,
            ),
            "Rattus norvegicus": await world.species(
                name="Brown rat", scientific_name="Rattus norvegicus", category_id=rodents.id
            ),
            "Octopus vulgaris": await world.species(
                name="Common octopus",
                scientific_name="Octopus vulgaris",
                category_id=cephalopods.id,
            ),
        }
        ids = {}
        start = datetime(2024, 1, 1)
        for n, (readable_id, name, description, sci, verified, who) in enumerate(BRAINS):
            brain = await world.add(
                Brain(
                    readable_id=readable_id,
                    name=name,
                    description=description,
                    verified=verified,
                    uploader_id=users[who],
                    species_id=species[sci].id,
                    category_id=species[sci].category_id,
                    created_at=start + timedelta(days=n),
                    updated_at=start + timedelta(days=n),
                )
            )
            ids[readable_id] = brain.id
        return ids

    brain_ids = await build(sessionmaker, recipe)
    return Atlas(tokens=tokens, users=users, brain_ids=brain_ids)
