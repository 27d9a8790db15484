"""rq job functions (thin: load by id, call a service, commit), the schedule and the CLI."""
