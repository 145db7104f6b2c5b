// The graphql-http server audits (GraphQL over HTTP) against a live gateway.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql — prints one JSON array of results.
import { serverAudits } from "graphql-http";

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.reason });
}
console.log(JSON.stringify(results));
