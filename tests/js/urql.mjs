// The urql example of docs/frontend.md, as written (the pytest test puts the served hub in
// place of hub.example.org and exports `result`), then used as an app would.
import { CHANGES, Inbox, REPORT, WORKER_TOKEN, browserSessionStorage, hearOwnGridOnly, report } from "./lib.mjs";

browserSessionStorage(WORKER_TOKEN);
const { client, result } = await import(process.env.EXAMPLE);

const inbox = new Inbox();
const errors = [];
client.subscription(CHANGES).subscribe(({ data, error }) =>
  (error ? errors.push(error.message) : inbox.push(data.eventChanged)));
const seen = await hearOwnGridOnly(inbox, async (input) => {
  const { data, error } = await client.mutation(REPORT, { input }).toPromise();
  if (error) throw error;
  return data.reportEvent.id;
}, "urql");
const tooLarge = await client.query(`{ persons(first: 100000) { totalCount } }`, {}).toPromise();

report({
  ...seen, errors,
  query: { error: result.error?.message ?? null, persons: result.data?.persons.nodes.length },
  refusal: tooLarge.error.graphQLErrors.map((e) => e.extensions.code),
});
process.exit(0);
