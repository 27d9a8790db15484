"""Routes of the `inspection` domain, one module per sub-resource."""
