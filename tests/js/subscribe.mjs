// The stock graphql-ws client subscribes to approvalEvents on a live gateway, signed in
// through the connection_init payload. Usage: node subscribe.mjs ws://HOST/graphql TOKEN
// Prints one JSON line when connected, then one per result; exits after the first result.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  connectionParams: { Authorization: `Bearer ${token}` },
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});
try {
  const results = client.iterate({
    query: "subscription { approvalEvents { kind approval { status proposed submitter { username } } } }",
  });
  for await (const result of results) {
    console.log(JSON.stringify({ result }));
    break;
  }
} catch (error) {
  // A close event or an Error: say which, so the test shows why.
  console.log(JSON.stringify({ error: String(error.reason ?? error.message ?? error), code: error.code }));
  process.exitCode = 1;
} finally {
  await client.dispose();
}
