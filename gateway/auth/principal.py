"""Who is asking: the one principal every surface's authentication produces."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Portal(StrEnum):
    """BrainSTEM's views of the data (seed 001): what a principal asks to see."""

    PUBLIC = "public"
    PRIVATE = "private"
    SUPER = "super"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int | None = None
    is_admin: bool = False
    is_reviewer: bool = False
    portal: Portal = Portal.PUBLIC
    token_id: uuid.UUID | None = None  # the credential presented, so logout can revoke it

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Principal()
