"""Who is asking and how much: tokens and users, the request context and its scope, sign-in
throttling, rate limits, and the trusted documents a caller may send."""
