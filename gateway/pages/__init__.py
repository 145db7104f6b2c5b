"""The pages a person opens in a browser: GraphiQL, the REST docs (Swagger UI) and a landing
page, with every asset they load served by the gateway itself (installed from the npm registry
by ``make install``), so they work on networks without internet."""
