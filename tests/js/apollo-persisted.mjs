// Apollo Client's own persisted-queries link (Automatic Persisted Queries, hashes over GET)
// against a served hub, as docs/frontend.md sets it up (driven by tests/test_clients.py).
//   MODE=manifest  write the Apollo persisted-query manifest of LISTED to MANIFEST (as
//                  generate-persisted-query-manifest would: the document the client sends,
//                  printed, and its SHA-256)
//   MODE=apq       a hub answering any document: an unknown hash, then the text, then the hash
//   MODE=trusted   a hub answering registered documents only: LISTED by its hash, another refused
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { print } from "@apollo/client/utilities";
import { HUB, WORKER_TOKEN, report } from "./lib.mjs";

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const LISTED = gql`query ListedPersons { persons(first: 3) { edges { node { id name } } } }`;
const NONCE = process.env.NONCE ?? "0";
const FRESH = gql(`query Fresh${NONCE} { persons(first: 2) { totalCount edges { node { name } } } }`);

if (process.env.MODE === "manifest") {
  // as Apollo's manifest generator prints it: after the cache's transform (`__typename` added)
  const body = print(new InMemoryCache().transformDocument(LISTED));
  writeFileSync(process.env.MANIFEST, JSON.stringify({
    format: "apollo-persisted-query-manifest", version: 1,
    operations: [{ id: sha256(body), name: "ListedPersons", type: "query", body }],
  }));
  report({ written: sha256(body) });
  process.exit(0);
}

const sent = [];  // what went over the wire: method, whether the text was in it, the status
const client = new ApolloClient({
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(new HttpLink({
    uri: `${HUB}/graphql`,
    fetch: async (uri, options) => {
      const response = await fetch(uri, { ...options, headers: { ...options.headers, Authorization: `Bearer ${WORKER_TOKEN}` } });
      const url = new URL(uri);
      const text = options.method === "GET" ? url.searchParams.get("query") : JSON.parse(options.body).query;
      sent.push({ method: options.method, text: Boolean(text), status: response.status });
      return response;
    },
  })),
  cache: new InMemoryCache(),
});

async function ask(query) {
  const before = sent.length;
  try {
    const { data } = await client.query({ query, fetchPolicy: "network-only" });
    return { persons: data.persons.edges.length, sent: sent.slice(before) };
  } catch (error) {
    return { codes: (error.errors ?? []).map((e) => e.extensions?.code), sent: sent.slice(before) };
  }
}

if (process.env.MODE === "apq") {
  report({ first: await ask(FRESH), again: await ask(FRESH) });
} else {
  report({ listed: await ask(LISTED), unlisted: await ask(FRESH) });
}
process.exit(0);
