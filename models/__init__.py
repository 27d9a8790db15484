"""Every model of the platform, listed explicitly (no discovery)."""
from core.audit import AuditEntry
from core.idempotency import IdempotencyRecord
from core.storage import StoredFile
from models.equipment import (Application, ApplicationEvent, CatalogueEntry, CertificateSequence, Equipment,
                              EquipmentClaim, EquipmentImport, MaintenanceContract)
from models.checks import Appointment, Checklist, DailyCheck, MonthlyMinutes, WeeklyReport
from models.findings import Finding
from models.notify import OutboxMessage
from models.onecode import CodeJob, EquipmentCode
from models.orgs import (Account, AuthSession, Invitation, Person, PersonRole, Region, Unit,
                         WeChatSession)

__all__ = [
    "Account", "Application", "ApplicationEvent", "Appointment", "Checklist", "DailyCheck", "Finding",
    "MonthlyMinutes", "WeeklyReport", "AuditEntry", "AuthSession", "CatalogueEntry",
    "CertificateSequence", "CodeJob", "Equipment", "EquipmentCode", "EquipmentClaim", "EquipmentImport", "IdempotencyRecord", "Invitation",
    "MaintenanceContract", "OutboxMessage", "Person", "PersonRole", "Region", "StoredFile", "Unit", "WeChatSession",
]
