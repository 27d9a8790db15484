"""The `orgs` domain: regions, units, people, roles and accounts."""
