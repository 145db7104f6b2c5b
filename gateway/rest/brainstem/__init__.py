"""BrainSTEM (seeds 001, 002): model endpoints under each portal, JWT and personal tokens,
the device login."""
