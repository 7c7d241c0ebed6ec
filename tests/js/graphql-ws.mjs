// The `graphql-ws` client (the one urql, Apollo Client and GraphiQL use) against the hub,
// over the runtime's own WebSocket, as in a browser: subscriptions, queries and mutations
// all over the one socket, each operation under the caller's rights as they stand.
import { execFileSync } from "node:child_process";
import { createClient } from "graphql-ws";
import { CHANGES, HUB, Inbox, WORKER_TOKEN, WS, REPORT, hearOwnGridOnly, http, report } from "./lib.mjs";

// one query or mutation through the client: what it delivered, or the error it ended with
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
// the worker's reports go through the same client, over the same socket as its subscription
const seen = await hearOwnGridOnly(inbox, async (input) => {
  const { seen: [answer] } = await once(client, { query: REPORT, variables: { input } });
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data.reportEvent.id;
}, "graphql-ws");
const query = await once(client, { query: "{ me { username } }" });
await client.dispose();

// a user of its own on one socket: read, then its grant revoked, then the user disabled;
// each takes effect on the next operation over the same socket
const { SOCKET_USER, SOCKET_TOKEN, ADMIN_TOKEN, OWN_GRID } = process.env;
const IN_GRID = "{ persons(first: 1) { totalCount } }";
const REVOKE = `mutation($u: String!, $g: ID!) { revokeRole(username: $u, role: "grid_worker", region: $g) { role } }`;
let sockets = 0;  // lazy: false keeps the one socket open between operations
const own = createClient({ url: `${WS}/graphql`, retryAttempts: 0, lazy: false,
                           connectionParams: { Authorization: `Bearer ${SOCKET_TOKEN}` },
                           on: { connected: () => { sockets += 1; } } });
const count = async () => {
  const { seen, error } = await once(own, { query: IN_GRID });
  if (error) return { error };
  const [answer] = seen;
  return answer.errors ? answer.errors.map((e) => e.extensions.code) : answer.data.persons.totalCount;
};
const granted = await count();
await http(REVOKE, { u: SOCKET_USER, g: OWN_GRID }, ADMIN_TOKEN);
const revoked = await count();
execFileSync(process.env.PYTHON, ["-m", "gridhub.cli", "user", "disable", SOCKET_USER],
             { cwd: process.env.CHECKOUT, stdio: "ignore" });
const disabled = await count();
await own.dispose();

// a token that is not valid: the server closes the connection with 4403
const refused = createClient({ url: `${WS}/graphql`, retryAttempts: 0, lazy: true,
                               connectionParams: { Authorization: "Bearer not-a-token" } });
const rejection = await once(refused, { query: CHANGES });
await refused.dispose();

report({ ...seen, errors, query, socket: { granted, revoked, disabled, sockets }, rejection, hub: HUB });
process.exit(0);
