"""Per-request DataLoaders: one per (model, key) and one per partner ranking, batching every
lookup into one statement."""

from loaders.container import Loaders
from loaders.partners import Direction, PartnerLoader, Partners
from loaders.rows import ChildrenLoader, RowLoader

__all__ = ["ChildrenLoader", "Direction", "Loaders", "PartnerLoader", "Partners", "RowLoader"]
