"""Schemas of the `inspection` domain's routes, one module per sub-resource."""
