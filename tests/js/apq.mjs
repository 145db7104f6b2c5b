// Apollo Client's own persisted-query link (@apollo/client, pinned by package-lock.json)
// against a live gateway: `node apq.mjs URL QUERY [get|post]` runs QUERY twice and prints, as
// JSON, what each run answered and every HTTP exchange the link made (method, whether the
// query text was sent, status, Cache-Control).
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, query, method = "get"] = process.argv.slice(2);
const exchanges = [];

async function recordingFetch(input, init = {}) {
  const response = await fetch(input, init);
  const sentUrl = new URL(typeof input === "string" ? input : input.url);
  const body = typeof init.body === "string" ? JSON.parse(init.body) : {};
  exchanges.push({
    method: init.method ?? "GET",
    sentQuery: Boolean(body.query ?? sentUrl.searchParams.get("query")),
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
  });
  return response;
}

const link = new PersistedQueryLink({
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
  useGETForHashedQueries: method === "get",
}).concat(new HttpLink({ uri: url, fetch: recordingFetch }));
const client = new ApolloClient({ link, cache: new InMemoryCache() });

const results = [];
for (let run = 0; run < 2; run++) {
  try {
    const { data } = await client.query({ query: gql(query), fetchPolicy: "network-only" });
    results.push({ data });
  } catch (error) {
    results.push({ error: error.message });
  }
}
console.log(JSON.stringify({ results, exchanges }));
