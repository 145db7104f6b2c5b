"""The domain layer: plain async functions every surface (GraphQL, REST) calls."""
