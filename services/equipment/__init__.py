"""The `equipment` domain: catalogue, records, lifecycle applications, maintenance
contracts, claims of historical equipment, Excel import and export."""

# Equipment registers itself as a one-code target (card, scoping, scan views) on import.
from services.equipment import onecode as _onecode  # noqa: E402,F401
