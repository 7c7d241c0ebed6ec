"""The HTTP layer's own modules, beside app.py: what the hub serves besides /graphql. The
policy console's configuration (`console`) is here; the rest of the web layer still sits at the
top level (gateway, exports, pull, accounts, observability, graphiql, web_clients)."""
