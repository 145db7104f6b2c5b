"""neurogate: one GraphQL gateway (and REST compatibility shim) for neuroscience lab data."""
