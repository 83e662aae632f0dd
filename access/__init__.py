"""Who may see and do what: the permission map, the `Scope` an actor acts within, and (in `web`) how a
request builds it."""
