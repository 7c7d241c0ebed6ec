// PostGraphile v4 in front of the bench database, as bench/peer/run starts it: the schema
// `public` read through row-level security (rls.sql), the role and region taken from a
// signed JWT (claims `role` and `region` become `SET LOCAL ROLE` and `jwt.claims.region`).
// WORKERS=N forks N processes sharing the port, as `gridhub serve --workers N` does.
"use strict";
const cluster = require("node:cluster");
const http = require("node:http");
const { postgraphile } = require("postgraphile");

const workers = Number(process.env.WORKERS || 1);
const port = Number(process.env.PORT || 5000);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code) => { console.error(`worker ${worker.process.pid} exited ${code}`); process.exit(1); });
} else {
  const middleware = postgraphile(process.env.DATABASE_URL, "public", {
    jwtSecret: process.env.JWT_SECRET,
    pgDefaultRole: "gh_peer_anonymous",
    disableDefaultMutations: true,
    ignoreRBAC: false,
    disableQueryLog: true,
    retryOnInitFail: false,
    legacyRelations: "omit",
    setofFunctionsContainNulls: false,
    graphiql: false,
    // its production settings (https://www.graphile.org/postgraphile/production/)
    watchPg: false,
    extendedErrors: [],
    showErrorStack: false,
  });
  http.createServer(middleware).listen(port, "127.0.0.1", () => {
    if (!cluster.isWorker || cluster.worker.id === 1) console.log(`postgraphile on ${port}`);
  });
}
