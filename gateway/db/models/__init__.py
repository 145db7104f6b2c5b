"""Every SQLModel table, imported so that ``SQLModel.metadata`` is complete."""

from sqlalchemy import Table
from sqlmodel import SQLModel

from gateway.db.models._base import use_fast_uuids
from gateway.db.models.accounts import DeviceLogin, LabMembership, Laboratory, Token, User
from gateway.db.models.alyx_data import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    Revision,
    Tag,
)
from gateway.db.models.brains import Brain, FileUpload
from gateway.db.models.collections import Collection, CollectionSession
from gateway.db.models.connectome import (
    Connection,
    ConnectomeDataset,
    Materialization,
    Partnership,
    Segment,
    SegmentProperty,
)
from gateway.db.models.experiments import (
    Project,
    ProjectMember,
    Session,
    SessionProject,
    SessionUser,
    Subject,
    SubjectProject,
)
from gateway.db.models.modules import (
    Behavior,
    BehaviorSubject,
    DataAcquisition,
    DataAcquisitionProcedure,
    Manipulation,
    ManipulationProcedure,
    Procedure,
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
    "Behavior",
    "BehaviorSubject",
    "BehavioralAssay",
    "BehavioralCategory",
    "BehavioralParadigm",
    "Brain",
    "Category",
    "Collection",
    "CollectionSession",
    "Connection",
    "ConnectomeDataset",
    "DataAcquisition",
    "DataAcquisitionProcedure",
    "DataFormat",
    "DataRepository",
    "DataStorage",
    "DatasetTag",
    "DatasetType",
    "DeviceLogin",
    "FileRecord",
    "FileUpload",
    "HardwareDevice",
    "Inventory",
    "LabMembership",
    "Laboratory",
    "Manipulation",
    "ManipulationProcedure",
    "Materialization",
    "Partnership",
    "Procedure",
    "Project",
    "ProjectMember",
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
    "Tag",
    "Token",
    "User",
    "table",
]
