"""A safelist: the only GraphQL operations a production gateway runs, read once at start-up.

``NEUROGATE_SAFELIST`` names one of:
- Apollo's persisted-query manifest (``generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1,
  "operations": [{"id", "name", "type", "body"}]}``;
- a JSON object mapping ids to documents (Relay's ``persisted-queries.json``,
  GraphQL Code Generator's ``persisted-documents.json``);
- a directory of ``.graphql`` files (searched recursively), one document each.

A registered document is called by its id or by the SHA-256 of its text (what Apollo's
persisted-query link sends), or sent in full: a full query is allowed when it is a
registered document once whitespace and comments are set aside.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLError, parse, print_ast

APOLLO_MANIFEST = "apollo-persisted-query-manifest"
NOT_REGISTERED = "This gateway runs registered operations only, and this one is not registered."
NOT_REGISTERED_CODE = "QUERY_NOT_IN_SAFELIST"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normal(document: str, max_tokens: int | None = None) -> str:
    return print_ast(parse(document, no_location=True, max_tokens=max_tokens))


@dataclass(frozen=True)
class Safelist:
    bodies: Mapping[str, str]  # id or SHA-256 of the text -> the document
    normal_forms: frozenset[str]  # every document, printed without its layout or comments

    @classmethod
    def of(cls, documents: Mapping[str, str]) -> Safelist:
        bodies: dict[str, str] = {}
        normal_forms: set[str] = set()
        for name, body in documents.items():
            try:
                normal_forms.add(_normal(body))
            except GraphQLError as error:
                raise ValueError(f"registered operation {name!r} is not GraphQL: {error}") from None
            bodies[name] = body
            bodies.setdefault(_sha256(body), body)
        return cls(bodies=bodies, normal_forms=frozenset(normal_forms))

    def body(self, name: str) -> str | None:
        return self.bodies.get(name)

    def allows(self, query: str, *, max_tokens: int) -> bool:
        if _sha256(query) in self.bodies:
            return True
        try:
            return _normal(query, max_tokens) in self.normal_forms
        except GraphQLError:
            return False  # not even GraphQL (or too long to be a registered document)

    def same(self, query: str, body: str, *, max_tokens: int) -> bool:
        if query == body:
            return True
        try:
            return _normal(query, max_tokens) == _normal(body)
        except GraphQLError:
            return False


def load_safelist(path: Path) -> Safelist:
    """The safelist at ``path``; a ValueError saying what is wrong with it otherwise."""
    if path.is_dir():
        files = sorted(path.rglob("*.graphql"))
        if not files:
            raise ValueError(f"NEUROGATE_SAFELIST: {path} holds no .graphql files")
        return Safelist.of({str(f.relative_to(path)): f.read_text() for f in files})
    try:
        manifest = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"NEUROGATE_SAFELIST: cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise ValueError(f"NEUROGATE_SAFELIST: {path} is not JSON: {error}") from None
    return Safelist.of(_documents(manifest, path))


def _documents(manifest: object, path: Path) -> dict[str, str]:
    wrong = ValueError(
        f"NEUROGATE_SAFELIST: {path} is neither an Apollo persisted-query manifest nor an "
        "object of ids to GraphQL documents"
    )
    if not isinstance(manifest, dict):
        raise wrong
    if manifest.get("format") == APOLLO_MANIFEST:
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise wrong
        documents = {}
        for operation in operations:
            if not isinstance(operation, dict):
                raise wrong
            name, body = operation.get("id"), operation.get("body")
            if not isinstance(name, str) or not isinstance(body, str):
                raise wrong
            documents[name] = body
        return documents
    if not all(isinstance(body, str) for body in manifest.values()):
        raise wrong
    return manifest
