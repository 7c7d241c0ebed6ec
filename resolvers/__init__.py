"""The logic behind the graph: scoped queries, loaders, pagination, mutations.

Functions here take plain arguments (a Scope, ids, dicts) and return models or plain
data, so the GraphQL layer, `/export`, the CLI and the benchmarks share them."""
