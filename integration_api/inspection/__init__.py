"""The inspection agencies' machine API (/open/v1/inspection/..., scopes `inspection:*`): the
change feed of applications addressed to the agency and decisions on them, results in batches
and their report files, and the master data of the devices the agency inspects. The routes call
the same service functions as the agency's staff do through /api/v1/inspection."""
from integration_api.inspection import applications  # noqa: F401
from integration_api.inspection import equipment  # noqa: F401
from integration_api.inspection import results  # noqa: F401
