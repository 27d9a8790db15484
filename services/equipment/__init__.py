"""The `equipment` domain: catalogue, records, lifecycle applications, maintenance
contracts, claims of historical equipment, Excel import and export."""
