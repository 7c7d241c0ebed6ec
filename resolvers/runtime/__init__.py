"""What every part runs on: the clock, caches and their byte budgets, the event bus of
subscriptions, metrics, request ids and the telling of an unavailable database."""
