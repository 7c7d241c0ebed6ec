"""Who may touch what: the Casbin model and policy, and the scope compiler that turns a
caller's grants into predicates. Never imports strawberry."""
