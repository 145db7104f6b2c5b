"""BrainMaps' ``search=`` (seed 000) through the database's own full-text search: SQLite FTS5
tables kept by triggers, PostgreSQL GIN indexes on a tsvector. Words are prefixes, all of them
required, case and accents ignored as far as each engine allows; any input answers a 200."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.auth.principal import ANONYMOUS
from resolvers import catalog
from resolvers.query import Entity, QuerySpec
from tests.auth.support import gql_data
from tests.conftest import Gateway
from tests.factories import World, build
from tests.rest.brainmaps.support import Atlas, arrange

Sessionmaker = async_sessionmaker[AsyncSession]
SCAN = b"\x49\x49\x2a\x00 tiff bytes"


async def found(
    gateway: Gateway, path: str, search: str, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    """The names a list answers for ``search``: the answer must be a 200 with an exact count."""
    response = await gateway.client.get(
        f"/api/{path}/", params={"search": search, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if "page_size" not in params:
        assert body["count"] == len(body["results"])
    return [row["name"] for row in body["results"]]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("muscul", ["House mouse"]),  # a prefix of a word of the scientific name
        ("octo", ["Common octopus"]),
        ("ratt", ["Brown rat"]),
        ("ouse", []),  # the middle of a word is not a prefix
        ("mouse lab", ["House mouse"]),  # every word, in any column ("The lab mouse")
        ("house brown", []),  # every word is required
        ("brown norv", ["Brown rat"]),
    ],
)
async def test_species_search_finds_every_word_as_a_prefix(
    gateway: Gateway, sessionmaker: Sessionmaker, search: str, expected: list[str]
) -> None:
    await arrange(sessionmaker)
    assert await found(gateway, "species", search) == expected


async def test_consecutive_searches_each_bind_their_own_words(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """One cached statement serves every search: each must still get its own words."""
    await arrange(sessionmaker)
    assert await found(gateway, "species", "mouse") == ["House mouse"]
    assert await found(gateway, "species", "rat") == ["Brown rat"]
    assert await found(gateway, "species", "common") == ["Common octopus"]


@pytest.mark.parametrize("search", ["MUSCULUS", "Mus Musculus", "Mús", "MÚS", "mûscul"])
async def test_case_and_accents_of_the_search_are_ignored(
    gateway: Gateway, sessionmaker: Sessionmaker, search: str
) -> None:
    await arrange(sessionmaker)
    assert await found(gateway, "species", search) == ["House mouse"]


async def test_accents_in_the_indexed_text_are_ignored_on_sqlite_and_kept_on_postgresql(
    gateway: Gateway, sessionmaker: Sessionmaker, database_url: str
) -> None:
    """PostgreSQL's 'simple' configuration keeps diacritics: a search typed with them finds
    both forms, one typed without them finds only unaccented text (documented on
    ``gateway.db.models.search.matches``)."""

    async def recipe(world: World) -> None:
        await world.species(name="Souris", description="Élevée au laboratoire")

    await build(sessionmaker, recipe)
    assert await found(gateway, "species", "élevée") == ["Souris"]
    assert await found(gateway, "species", "ÉLEV") == ["Souris"]
    on_sqlite = database_url.startswith("sqlite")
    assert await found(gateway, "species", "elevee") == (["Souris"] if on_sqlite else [])


@pytest.mark.parametrize(
    ("path", "search", "expected"),
    [
        ("categories", "squid", ["Cephalopods"]),  # "Octopuses, squids, and cuttlefish"
        ("categories", "rodent", ["Rodents"]),
        ("species", "lab", ["House mouse"]),  # "The lab mouse"
        ("brains", "nissl", ["Mouse cortex"]),  # "Nissl stain of the cortex"
        ("brains", "hippo", ["Mouse hippocampus"]),  # readable id "mouse-hippo" and name
        ("brains", "whole", ["Rat whole brain"]),
    ],
)
async def test_search_looks_in_names_descriptions_and_readable_ids(
    gateway: Gateway, sessionmaker: Sessionmaker, path: str, search: str, expected: list[str]
) -> None:
    await arrange(sessionmaker)
    assert await found(gateway, path, search) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ('"brown"', ["Brown rat"]),
        ("brown*", ["Brown rat"]),
        ("-brown", ["Brown rat"]),  # not an exclusion
        ("brown -rat", ["Brown rat"]),  # both words required: "-" excludes nothing
        ("brown OR house", []),  # "or" is a word like any other, and required
        ("brown AND rat", []),
        ("NOT house", []),
        ("NEAR(brown rat)", []),
        ("name:brown", []),  # no column filter: "name" is a word
        ("brown:*", ["Brown rat"]),
        ("brown&rat", ["Brown rat"]),
        ("brown|house", []),
        ("!brown", ["Brown rat"]),
        ("(brown)", ["Brown rat"]),
        ("'brown' & 'rat'", ["Brown rat"]),
        ("brown'", ["Brown rat"]),
        ("brown\\", ["Brown rat"]),
        ("brown_rat", ["Brown rat"]),  # "_" separates words, as in both engines' tokenizers
        ('norv"egicus', []),  # two words, "egicus" starts none
        ("^brown", ["Brown rat"]),
        ("{brown}", ["Brown rat"]),
        ("brown%", ["Brown rat"]),
        ("日本語", []),
    ],
)
async def test_operator_syntax_and_punctuation_are_plain_text(
    gateway: Gateway, sessionmaker: Sessionmaker, search: str, expected: list[str]
) -> None:
    await arrange(sessionmaker)
    assert await found(gateway, "species", search) == expected


ODD_INPUTS = [
    '"', '""', "'", "*", "-", ":", "&", "|", "!", "(", ")", "NEAR(", "OR", "AND", "NOT",
    "a:*", "a & | b", "x OR", "\\", "\\'", "''", "%", "_", "^", "$1", "?", "\x00", "½", "²",
    "mouse ½", "Ω", "🐭", "e\u0301levée", "x" * 300, "mouse " * 50,
]  # fmt: skip


@pytest.mark.parametrize("path", ["categories", "species", "brains"])
async def test_any_search_text_answers_200_on_every_list(
    gateway: Gateway, sessionmaker: Sessionmaker, path: str
) -> None:
    await arrange(sessionmaker)
    for search in ODD_INPUTS:
        await found(gateway, path, search)


@pytest.mark.parametrize("search", ["!!!", "***", "-", '""', "()", "_", "&|!:*"])
@pytest.mark.parametrize("path", ["categories", "species", "brains"])
async def test_search_text_without_a_word_matches_nothing(
    gateway: Gateway, sessionmaker: Sessionmaker, path: str, search: str
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(f"/api/{path}/", params={"search": search})
    assert response.status_code == 200, response.text
    assert (response.json()["count"], response.json()["results"]) == (0, [])


# --- the indexes follow writes through the real domain paths ----------------------------------

PROPOSE = """
mutation ($input: SpeciesInput!) { proposeSpecies(input: $input) { ... on Approval { id } } }"""
PROPOSE_CHANGE = """
mutation ($id: ID!, $input: SpeciesChangeInput!) {
  proposeSpeciesChange(id: $id, input: $input) { ... on Approval { id } }
}"""
PROPOSE_DELETION = """
mutation ($id: ID!) { proposeSpeciesDeletion(id: $id) { ... on Approval { id } } }"""
ACCEPT = """
mutation ($id: ID!) {
  reviewApproval(id: $id, decision: ACCEPT) { ... on Approval { status instanceId } }
}"""


async def _accepted(gateway: Gateway, atlas: Atlas, mutation: str, **variables: Any) -> Any:
    """Propose as alice, accept as rita (a reviewer); the accepted approval."""
    proposed = await gql_data(gateway, mutation, variables, atlas.headers("alice"))
    approval_id = next(iter(proposed.values()))["id"]
    review = await gql_data(gateway, ACCEPT, {"id": approval_id}, atlas.headers("rita"))
    assert review["reviewApproval"]["status"] == "ACCEPTED", review
    return review["reviewApproval"]


async def test_species_search_follows_the_approval_workflow(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    species = {"name": "Ferret", "scientificName": "Mustela furo", "description": "Carnivore"}
    added = await _accepted(gateway, atlas, PROPOSE, input=species)
    assert await found(gateway, "species", "mustela") == ["Ferret"]
    assert await found(gateway, "species", "carniv") == ["Ferret"]
    await _accepted(
        gateway,
        atlas,
        PROPOSE_CHANGE,
        id=added["instanceId"],
        input={"name": "Polecat", "description": "Domesticated"},
    )
    assert await found(gateway, "species", "polecat domest") == ["Polecat"]
    assert await found(gateway, "species", "ferret") == []
    assert await found(gateway, "species", "carniv") == []
    assert await found(gateway, "species", "mustela") == ["Polecat"]  # unchanged column
    await _accepted(gateway, atlas, PROPOSE_DELETION, id=added["instanceId"])
    assert await found(gateway, "species", "mustela") == []
    assert await found(gateway, "species", "mouse") == ["House mouse"]  # the others stay


async def test_brain_search_follows_upload_patch_and_delete(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    bob = atlas.headers("bob")  # an uploaded brain is unverified: only its uploader sees it
    uploaded = await gateway.client.post(
        "/api/brains/",
        data={"name": "Ferret scan", "species": "Mus musculus", "description": "Tracer study"},
        files={"file": ("scan.tif", SCAN, "image/tiff")},
        headers=bob,
    )
    assert uploaded.status_code == 201, uploaded.text
    brain_id = uploaded.json()["id"]
    assert await found(gateway, "brains", "ferret", bob) == ["Ferret scan"]
    assert await found(gateway, "brains", "tracer", bob) == ["Ferret scan"]
    patched = await gateway.client.patch(
        f"/api/brains/{brain_id}/",
        json={"name": "Weasel scan", "description": "Retrograde label"},
        headers=bob,
    )
    assert patched.status_code == 200, patched.text
    assert await found(gateway, "brains", "weasel retro", bob) == ["Weasel scan"]
    assert await found(gateway, "brains", "tracer", bob) == []
    # The readable id ("ferret-scan") was given at upload and is searched too.
    assert await found(gateway, "brains", "ferret", bob) == ["Weasel scan"]
    deleted = await gateway.client.delete(f"/api/brains/{brain_id}/", headers=bob)
    assert deleted.status_code == 204
    assert await found(gateway, "brains", "weasel", bob) == []
    assert await found(gateway, "brains", "scan", bob) == []


# --- combined with filters and pages ----------------------------------------------------------


async def test_search_with_a_filter_and_pages_keeps_the_count_exact(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    async def recipe(world: World) -> None:
        rodents = await world.category(name="Rodents")
        birds = await world.category(name="Birds")
        for n in range(25):
            await world.species(
                name=f"Vole {n:02}", description="Synthetic rodent", category_id=rodents.id
            )
            await world.species(
                name=f"Finch {n:02}", description="Synthetic bird", category_id=birds.id
            )

    await build(sessionmaker, recipe)
    seen: list[str] = []
    url: str | None = "/api/species/?search=synth&category=rodents&page_size=10"
    while url is not None:
        response = await gateway.client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == 25
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    assert seen == [f"Vole {n:02}" for n in range(25)]
    # Without the filter: 50 matches by name, Finches first; the sixth page of five.
    response = await gateway.client.get("/api/species/?search=synthetic&page_size=5&page=6")
    body = response.json()
    assert body["count"] == 50
    assert [row["name"] for row in body["results"]] == [f"Vole {n:02}" for n in range(5)]


async def test_brain_search_combines_with_species_and_visibility(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    assert await found(gateway, "brains", "cortex", species="mus-musculus") == ["Mouse cortex"]
    assert await found(gateway, "brains", "cortex") == ["Rat whole brain", "Mouse cortex"]
    assert await found(gateway, "brains", "octopus") == []  # unverified: hidden
    mine = await found(gateway, "brains", "octopus", atlas.headers("alice"))
    assert mine == ["Octopus draft"]
    response = await gateway.client.get("/api/brains/?search=mouse&page_size=1&page=2")
    body = response.json()
    assert (body["count"], len(body["results"]), body["next"]) == (2, 1, None)


# --- the engines' own indexes answer the search -----------------------------------------------

SEARCHED = [catalog.CATEGORY, catalog.SPECIES, catalog.BRAIN]


def _search_statement(entity: Entity, engine: AsyncEngine) -> str:
    """The list statement of a search, as the gateway builds it, with its values inlined."""
    stmt = entity.apply(select(entity.table.c.id), QuerySpec(search="muscul cortex"), ANONYMOUS)
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


@pytest.mark.parametrize("entity", SEARCHED, ids=lambda entity: entity.name)
async def test_search_uses_the_engines_own_index(engine: AsyncEngine, entity: Entity) -> None:
    assert entity.search is not None
    statement = _search_statement(entity, engine)
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = await conn.execute(text(f"EXPLAIN QUERY PLAN {statement}"))
            details = [row.detail for row in plan]
            # The FTS5 table answers the words; rows are then looked up by their key.
            fts = f"SCAN {entity.search.fts_table} VIRTUAL TABLE INDEX"
            assert any(detail.startswith(fts) for detail in details), details
            assert any(d.startswith(f"SEARCH {entity.table.name} ") for d in details), details
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            plan = await conn.execute(text(f"EXPLAIN {statement}"))
            lines = [row[0] for row in plan]
            gin = f"Bitmap Index Scan on {entity.search.gin_index}"
            assert any(gin in line for line in lines), lines
