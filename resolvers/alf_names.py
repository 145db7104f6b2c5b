"""ALF file names as Alyx and ONE read them: a session's file is
``[collection/][#revision#/][_namespace_]object.attribute[.extra].ext``, and its dataset type
is the one whose file name pattern matches it (or, without a pattern, whose name is its
``object.attribute``)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Row

from gateway.errors import BadRequest

_FOLDER = re.compile(r"[\w.-]+")
_REVISION = re.compile(r"#([\w.-]+)#")


@dataclass(frozen=True)
class AlfName:
    collection: str
    revision: str
    filename: str


def parse_file(name: str) -> AlfName:
    """``[collection/][#revision#/]file`` as Alyx parses it; a 400 as Alyx's for anything else."""
    *folders, filename = PurePosixPath(name.replace("\\", "/")).parts or ("",)
    revision = ""
    if folders and (match := _REVISION.fullmatch(folders[-1])):
        revision = match.group(1)
        folders = folders[:-1]
    if not filename or not _FOLDER.fullmatch(filename) or not all(
        _FOLDER.fullmatch(f) for f in folders
    ):
        raise BadRequest(
            "Invalid ALF path. Only letters, numbers, hyphen and underscores allowed. A "
            "revision folder must be surrounded by pound signs (#).",
        )
    return AlfName("/".join(folders), revision, filename)


_NAMESPACE = re.compile(r"_[A-Za-z0-9]+_")


def _object_attribute(filename: str) -> str:
    """An ALF file name's ``object.attribute`` (``_ibl_trials.intervals.npy`` ->
    ``trials.intervals``); a name that is not ALF's, its stem."""
    parts = filename.split(".")
    if len(parts) < 3:
        return filename.rpartition(".")[0] or filename
    namespace = _NAMESPACE.match(parts[0])
    return ".".join((parts[0][namespace.end() :] if namespace else parts[0], parts[1]))


def dataset_type_of(filename: str, types: Sequence[Row[Any]]) -> Row[Any]:
    """ONE's and Alyx's rule: the one type whose filename pattern matches the file name, or
    whose name is the file's ``object.attribute`` when it has no pattern."""
    folded = filename.casefold()
    object_attribute = _object_attribute(filename)
    found = [
        t
        for t in types
        if (
            fnmatch.fnmatch(folded, t.filename_pattern.casefold())
            if t.filename_pattern.strip()
            else t.name == object_attribute
        )
    ]
    if len(found) != 1:
        raise BadRequest(
            f'No dataset type matches "{filename}".'
            if not found
            else f'Several dataset types match "{filename}": '
            f"{', '.join(sorted(t.name for t in found))}.",
        )
    return found[0]


