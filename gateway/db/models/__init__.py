"""Every SQLModel table, imported so that ``SQLModel.metadata`` is complete."""

from sqlalchemy import Table
from sqlmodel import SQLModel

from gateway.db.models._base import use_fast_uuids
from gateway.db.models.accounts import (
    DeviceLogin,
    LabMembership,
    Laboratory,
    LabPrincipalInvestigator,
    Token,
    User,
)
from gateway.db.models.actions import (
    ProcedureType,
    Surgery,
    SurgeryProcedure,
    SurgeryUser,
    WaterAdministration,
    WaterRestriction,
    WaterRestrictionUser,
    WaterType,
    Weighing,
)
from gateway.db.models.alyx_data import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    Revision,
    Tag,
)
from gateway.db.models.atlas import Atlas, BrainRegion, ProbeInsertion, TrajectoryEstimate
from gateway.db.models.brains import Brain, FileUpload
from gateway.db.models.breeding import Breeding
from gateway.db.models.collections import Collection, CollectionSession
from gateway.db.models.compliance import (
    License,
    LicenseBehavioralAssay,
    LicenseHolder,
    LicenseProcedure,
    LicenseSubject,
    Protocol,
    ProtocolLicense,
)
from gateway.db.models.connectome import (
    Connection,
    ConnectomeDataset,
    Materialization,
    Partnership,
    Segment,
    SegmentProperty,
)
from gateway.db.models.dissemination import Journal, ProjectPublication, Publication
from gateway.db.models.experiments import (
    Project,
    ProjectMember,
    Session,
    SessionProject,
    SessionUser,
    Subject,
    SubjectProject,
)
from gateway.db.models.groups import (
    GroupMember,
    GroupMembershipInvitation,
    GroupMembershipRequest,
    ProjectGroupMembershipInvitation,
    ProjectMembershipInvitation,
    UserGroup,
)
from gateway.db.models.holdings import Consumable, ConsumableStock, Equipment
from gateway.db.models.modules import (
    Behavior,
    BehaviorSubject,
    DataAcquisition,
    DataAcquisitionProcedure,
    Manipulation,
    ManipulationProcedure,
    Procedure,
    ProcedureLog,
    SubjectLog,
)
from gateway.db.models.personal import (
    BehavioralAssay,
    DataStorage,
    Inventory,
    Setup,
    SetupDevice,
)
from gateway.db.models.references import (
    BehavioralCategory,
    BehavioralParadigm,
    HardwareDevice,
    RegulatoryAuthority,
    SetupType,
    Supplier,
)
from gateway.db.models.taxonomy import Approval, Category, Species, Strain

use_fast_uuids(SQLModel.metadata)


def table(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class (typed, unlike ``Model.__table__``)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


__all__ = [
    "Approval",
    "Atlas",
    "Behavior",
    "BehaviorSubject",
    "BehavioralAssay",
    "BehavioralCategory",
    "BehavioralParadigm",
    "Brain",
    "BrainRegion",
    "Breeding",
    "Category",
    "Collection",
    "CollectionSession",
    "Connection",
    "ConnectomeDataset",
    "Consumable",
    "ConsumableStock",
    "DataAcquisition",
    "DataAcquisitionProcedure",
    "DataFormat",
    "DataRepository",
    "DataStorage",
    "DatasetTag",
    "DatasetType",
    "DeviceLogin",
    "Equipment",
    "FileRecord",
    "FileUpload",
    "GroupMember",
    "GroupMembershipInvitation",
    "GroupMembershipRequest",
    "HardwareDevice",
    "Inventory",
    "Journal",
    "LabMembership",
    "LabPrincipalInvestigator",
    "Laboratory",
    "License",
    "LicenseBehavioralAssay",
    "LicenseHolder",
    "LicenseProcedure",
    "LicenseSubject",
    "Manipulation",
    "ManipulationProcedure",
    "Materialization",
    "Partnership",
    "ProbeInsertion",
    "Procedure",
    "ProcedureLog",
    "ProcedureType",
    "Project",
    "ProjectGroupMembershipInvitation",
    "ProjectMember",
    "ProjectMembershipInvitation",
    "ProjectPublication",
    "Protocol",
    "ProtocolLicense",
    "Publication",
    "RegulatoryAuthority",
    "Revision",
    "Segment",
    "SegmentProperty",
    "Session",
    "SessionProject",
    "SessionUser",
    "Setup",
    "SetupDevice",
    "SetupType",
    "Species",
    "Strain",
    "Subject",
    "SubjectLog",
    "SubjectProject",
    "Supplier",
    "Surgery",
    "SurgeryProcedure",
    "SurgeryUser",
    "Tag",
    "Token",
    "TrajectoryEstimate",
    "User",
    "UserGroup",
    "WaterAdministration",
    "WaterRestriction",
    "WaterRestrictionUser",
    "WaterType",
    "Weighing",
    "table",
]
