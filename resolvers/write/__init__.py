"""The generic writes: create, update and delete of any kind in one transaction, with its
checks (validation, identity documents), its region locks and the one audit hook."""
