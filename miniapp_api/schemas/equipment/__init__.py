"""Schemas of the `equipment` domain, one module per sub-resource."""
