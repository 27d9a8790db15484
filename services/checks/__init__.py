"""The `checks` domain: the two regulations (两个规定, SAMR Orders 73 and 74 of 2023).

One module per sub-resource: appointments of 安全总监 / 安全员 (`appointments`), the
安全风险管控清单 (`checklists`), the daily check 日管控 (`daily`); weekly reports, monthly
minutes, records, compliance figures and reminders in their own modules. What a check
finds is a `services.findings` record.
"""

# Today's daily check joins the use unit's scan view on import.
from services.checks import onecode as _onecode  # noqa: E402,F401
