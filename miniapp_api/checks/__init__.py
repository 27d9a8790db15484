"""Routes of the `checks` domain (两个规定), one module per sub-resource."""
