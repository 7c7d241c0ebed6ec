"""The read engine: every read scoped by the caller's Scope — queries and filters compiled to
predicates, pagination, batched loaders, search and statistics, spatial reads, and the
compiled path (sqlread/) that answers a plain read with one SQL statement."""
