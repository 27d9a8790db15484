"""The `inspection` domain: periodic inspection (定期检验, domain.md §3).

One module per sub-resource: the inspection agencies a use unit may address (`agencies`)
and the applications to them (`applications`, 报检: submit, accept with a planned date,
refuse, withdraw). Results, reports, due-date updates and the agencies' machine API
come in a later slice.
"""

# The agency's scan view registers with onecode on import.
from services.inspection import onecode as _onecode  # noqa: E402,F401
