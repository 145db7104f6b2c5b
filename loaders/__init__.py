"""Per-request DataLoaders: one per (model, key) and one per partner ranking, batching every
lookup into one statement."""

from loaders.container import Loaders
from loaders.partners import Direction, PartnerLoader, Partners
from loaders.rows import RowLoader

__all__ = ["Direction", "Loaders", "PartnerLoader", "Partners", "RowLoader"]
