"""The HTTP layer: the GraphQL view, refusals and media types (gateway), exports and QR codes,
health, metrics and logs, GraphiQL's and the console's assets."""
