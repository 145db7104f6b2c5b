"""Per-request DataLoaders: one per (model, key), batching every lookup into one statement."""

from loaders.container import Loaders
from loaders.rows import ChildrenLoader, RowLoader

__all__ = ["ChildrenLoader", "Loaders", "RowLoader"]
