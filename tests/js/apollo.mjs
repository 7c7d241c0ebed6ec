// The Apollo Client example of docs/frontend.md, as written (the pytest test puts the served
// hub in place of hub.example.org and exports `first`), then used as an app would.
import { gql } from "@apollo/client";
import { CHANGES, Inbox, REPORT, WORKER_TOKEN, browserSessionStorage, hearOwnGridOnly, report } from "./lib.mjs";

browserSessionStorage(WORKER_TOKEN);
const { client, first } = await import(process.env.EXAMPLE);

const inbox = new Inbox();
const errors = [];
client.subscribe({ query: gql(CHANGES) }).subscribe({
  next: ({ data, error }) => (error ? errors.push(error.message) : inbox.push(data.eventChanged)),
  error: (error) => errors.push(String(error?.message ?? error)),
});
const seen = await hearOwnGridOnly(inbox, async (input) =>
  (await client.mutate({ mutation: gql(REPORT), variables: { input } })).data.reportEvent.id, "apollo");
let refusal = null;
try {
  await client.query({ query: gql`{ persons(first: 100000) { totalCount } }` });
} catch (error) {
  refusal = error.errors.map((e) => e.extensions.code);
}

report({
  ...seen, errors,
  query: { persons: first.data.persons.edges.length, hasNextPage: first.data.persons.pageInfo.hasNextPage },
  refusal,
});
process.exit(0);
