"""BrainCircuits (seed 004): segment properties."""
