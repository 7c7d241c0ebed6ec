// The `graphql-ws` client (the one urql, Apollo Client and GraphiQL use) against the hub,
// over the runtime's own WebSocket, as in a browser.
import { createClient } from "graphql-ws";
import { CHANGES, Inbox, WORKER_TOKEN, WS, REPORT, hearOwnGridOnly, http, report } from "./lib.mjs";

// a query and a mutation through the client: only subscriptions run over the socket
function once(client, payload) {
  return new Promise((resolve) => {
    const seen = [];
    client.subscribe(payload, {
      next: (value) => seen.push(value),
      error: (error) => resolve({ error: error?.code ?? error }),
      complete: () => resolve({ seen }),
    });
  });
}

const client = createClient({ url: `${WS}/graphql`, retryAttempts: 0,
                              connectionParams: { Authorization: `Bearer ${WORKER_TOKEN}` } });
const inbox = new Inbox();
const errors = [];
client.subscribe({ query: CHANGES }, {
  next: ({ data, errors: failed }) => (failed ? errors.push(failed) : inbox.push(data.eventChanged)),
  error: (error) => errors.push(String(error?.message ?? error?.code ?? error)),
  complete: () => {},
});
const seen = await hearOwnGridOnly(inbox, async (input) =>
  (await http(REPORT, { input }, WORKER_TOKEN)).reportEvent.id, "graphql-ws");
const query = await once(client, { query: "{ me { username } }" });
await client.dispose();

// a token that is not valid: the server closes the connection with 4403
const refused = createClient({ url: `${WS}/graphql`, retryAttempts: 0, lazy: true,
                               connectionParams: { Authorization: "Bearer not-a-token" } });
const rejection = await once(refused, { query: CHANGES });
await refused.dispose();

report({ ...seen, errors, query, rejection });
process.exit(0);
