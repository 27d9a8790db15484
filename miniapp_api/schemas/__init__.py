"""Marshmallow schemas at the API boundary: separate input and output, one output per audience."""
