"""Every SQLModel table, imported so that ``SQLModel.metadata`` is complete."""

from gateway.db.models.accounts import DeviceLogin, LabMembership, Laboratory, Token, User
from gateway.db.models.brains import Brain, FileUpload
from gateway.db.models.connectome import (
    Connection,
    ConnectomeDataset,
    Materialization,
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
from gateway.db.models.taxonomy import Approval, Category, Species, Strain

__all__ = [
    "Approval",
    "Brain",
    "Category",
    "Connection",
    "ConnectomeDataset",
    "DeviceLogin",
    "FileUpload",
    "LabMembership",
    "Laboratory",
    "Materialization",
    "Project",
    "ProjectMember",
    "Segment",
    "SegmentProperty",
    "Session",
    "SessionProject",
    "SessionUser",
    "Species",
    "Strain",
    "Subject",
    "SubjectProject",
    "Token",
    "User",
]
