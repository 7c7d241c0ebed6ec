// Shared by the client checks: the served hub, tokens and grids come from the pytest test
// (tests/test_clients.py) in the environment; each check prints one JSON line of what it saw.

export const HUB = process.env.HUB;                       // http://127.0.0.1:PORT
export const WS = HUB.replace(/^http/, "ws");
export const { OWN_GRID, SIBLING_GRID, WORKER_TOKEN, TOWN_TOKEN } = process.env;
export const WAIT_MS = 3000;

export const REPORT = `mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }`;
export const CHANGES = `subscription { eventChanged { action eventId event { title region { path } } } }`;

export function eventInput(title, regionId) {
  return { title, kind: "HAZARD", category: "safety/fire", source: "PATROL",
           occurredAt: new Date().toISOString(), regionId };
}

// What browsers have and Node has not: the examples keep the token in sessionStorage.
export function browserSessionStorage(token) {
  const items = new Map([["token", token]]);
  globalThis.sessionStorage = {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

// Plain GraphQL over HTTP, for what the client under test does not do itself.
export async function http(query, variables, token) {
  const response = await fetch(`${HUB}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

// Changes arriving on a subscription, awaited one by one.
export class Inbox {
  constructor() { this.items = []; this.waiting = null; }
  push(item) { this.items.push(item); if (this.waiting) { this.waiting(); this.waiting = null; } }
  async next(ms = WAIT_MS) {
    if (!this.items.length) {
      await new Promise((resolve) => { this.waiting = resolve; setTimeout(resolve, ms); });
    }
    return this.items.shift() ?? null;
  }
}

/** Until the subscription hears the worker's grid (the server registers a subscription a
 * moment after it is sent, with no message saying so), rounds of two reports: one in the
 * sibling grid (by `town`) and then one in the worker's grid (`reportOwn`, through the client
 * under test). Then one more round, whose own report must be the next change heard: had the
 * sibling grid's report of that round (made before it) been sent, it would have come first.
 * Returns everything reported and heard, for the test to judge. */
export async function hearOwnGridOnly(inbox, reportOwn, label) {
  const own = [], sibling = [], heard = [];
  const round = async (n) => {
    sibling.push((await http(REPORT, { input: eventInput(`${label} 邻格 ${n}`, SIBLING_GRID) }, TOWN_TOKEN))
      .reportEvent.id);
    own.push(await reportOwn(eventInput(`${label} 本格 ${n}`, OWN_GRID)));
  };
  for (let n = 1; !heard.length && n <= 10; n++) {
    await round(n);
    for (let change; (change = await inbox.next(heard.length ? 300 : 1000)); ) heard.push(change);
  }
  await round("last");
  for (let change; (change = await inbox.next(heard.length ? 500 : WAIT_MS)); ) heard.push(change);
  return { own, sibling, heard, last: own.at(-1) };
}

export function report(result) {
  console.log(JSON.stringify(result));
}
