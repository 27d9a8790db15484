"""Every model of the platform, listed explicitly (no discovery)."""
from core.audit import AuditEntry
from core.idempotency import IdempotencyRecord
from core.storage import StoredFile
from models.clients import ApiClient, ApiClientKey
from models.checks import Appointment, Checklist, DailyCheck, MonthlyMinutes, WeeklyReport
from models.cylinders import (Cylinder, CylinderImport, CylinderModel, CylinderRegistration, FillingDailyStat,
                              FillingLicence, FillingRecord, FillRefusal, Gas)
from models.equipment import (Application, ApplicationEvent, CatalogueEntry, CertificateSequence, Equipment,
                              EquipmentClaim, EquipmentImport, MaintenanceContract)
from models.findings import Finding
from models.inspection import (AgencyApproval, EquipmentDueDate, InspectionApplication, InspectionApplicationEvent,
                               InspectionResult)
from models.notify import OutboxMessage, SubscriptionGrant, Suggestion, SupportTicket
from models.onecode import Code, CodeJob
from models.orgs import Account, AuthSession, Invitation, Person, PersonRole, Region, Unit, WeChatSession
from models.risk import (ExpertAssignment, MonitoringPoint, PeriodicRiskReport, Reporter, ReportRating,
                         RiskReport, RiskReportEvent, TypicalCase)

__all__ = [
    "Account", "AgencyApproval", "ApiClient", "ApiClientKey", "Application", "ApplicationEvent", "Appointment", "AuditEntry",
    "AuthSession", "CatalogueEntry", "CertificateSequence", "Checklist", "Code", "CodeJob", "Cylinder", "CylinderImport",
    "CylinderModel", "CylinderRegistration", "DailyCheck", "Equipment",
    "EquipmentClaim", "EquipmentDueDate",
    "EquipmentImport", "ExpertAssignment", "FillingDailyStat", "FillingLicence", "FillingRecord", "FillRefusal",
    "Finding", "Gas", "IdempotencyRecord", "InspectionApplication",
    "InspectionApplicationEvent", "InspectionResult", "Invitation", "MaintenanceContract",
    "MonitoringPoint", "MonthlyMinutes", "OutboxMessage", "PeriodicRiskReport", "Person", "PersonRole", "Region",
    "ReportRating", "Reporter", "RiskReport", "RiskReportEvent", "StoredFile", "Suggestion", "SubscriptionGrant",
    "SupportTicket", "TypicalCase", "Unit", "WeChatSession", "WeeklyReport",
]
