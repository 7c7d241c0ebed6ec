"""The domain's work: the event workflow and its deadlines, access grants and policy edits,
the registers (residence, transfers, memberships, programmes, vocabulary, categories),
key-person and care visits, staffing, re-gridding, scorecards, notices and webhooks."""
