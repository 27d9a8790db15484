"""Routes of the `orgs` domain: regions, units, people."""
