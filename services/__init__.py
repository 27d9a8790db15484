"""Domain rules and state changes, one module (or package) per domain.

Services flush, never commit; they take an `Identity` or `AuditContext`
rather than reading the request.
"""
