"""Brain scans and the files uploaded for them (or registered to sessions)."""

from __future__ import annotations

from sqlalchemy import and_

from gateway.db.models import (
    Brain,
    DatasetTag,
    FileUpload,
    Session,
    Species,
    Subject,
    Tag,
    User,
    table,
)
from gateway.db.models.search import BRAIN_SEARCH
from resolvers.catalog.fields import (
    attributes,
    columns,
    reached_value,
    related_value,
    scientific_slug,
    to_many,
)
from resolvers.catalog.taxonomy import category_name
from resolvers.query import Attribute, Entity, FieldSpec, Kind, Order
from resolvers.relations import Link, ToMany, ToOne

_upload, _brain, _user = table(FileUpload), table(Brain), table(User)
_session, _subject, _species = table(Session), table(Subject), table(Species)
_tag, _dataset_tag = table(Tag), table(DatasetTag)

FILE_UPLOAD = Entity(
    "FileUpload",
    _upload,
    {
        **columns(
            _upload,
            "id",
            "uuid",
            "name",
            "sha256",
            "size",
            "content_type",
            "status",
            "dataset_type",
            "collection",
            "uploader_id",
            "session_id",
            "md5",
            "version",
            "revision_id",
            "default_dataset",
            "created_at",
        ),
        # Alyx's dataset filters (DOMAIN.md §2.3): who uploaded it, and its session's subject.
        "uploader_username": FieldSpec(
            related_value(_user.c.username, _user.c.id, _upload.c.uploader_id),
            Kind.STRING,
            description="The username of who uploaded it.",
        ),
        "subject_nickname": FieldSpec(
            reached_value(
                _upload,
                _subject.c.nickname,
                and_(_session.c.id == _upload.c.session_id, _subject.c.id == _session.c.subject_id),
            ),
            Kind.STRING,
            description="The nickname of its session's subject.",
        ),
        "tag_name": to_many(
            _upload.c.id,
            (
                _tag.c.name,
                and_(_dataset_tag.c.dataset_id == _upload.c.id, _tag.c.id == _dataset_tag.c.tag_id),
            ),
            kind=Kind.STRING,
            description="The name of one of its tags.",
        ),
    },
    default_order=(Order("created_at", descending=True),),
    relations={
        "uploader": ToOne("User", "uploader_id", "Who uploaded it."),
        "session": ToOne("Session", "session_id", "The session it is registered to."),
        "revision": ToOne("Revision", "revision_id", "Its revision, if any."),
        "tags": ToMany(
            "Tag",
            links=(Link(_dataset_tag, "dataset_id", "tag_id"),),
            description="Its tags, by name.",
        ),
    },
    description="A stored file (its content is addressed by its sha256).",
    plural="file_uploads",
    lookups=("id",),
    attributes=attributes(
        _upload,
        id="Its id: download it with GET /files/{id}.",
        uuid="Its UUID (Alyx dataset id).",
        name="Its file name.",
        sha256="The SHA-256 of its content, in hex.",
        size="Its size in bytes.",
        content_type="Its media type.",
        status="uploaded, or another state of its upload.",
        dataset_type="Its Alyx dataset type, e.g. spikes.times.",
        collection="Its Alyx collection (sub-folder), e.g. alf/probe00.",
        md5="The MD5 of its content, in hex, as ONE checks it (blank when not given).",
        version="The version of the software that wrote it.",
        default_dataset="Whether it is the default revision of its dataset.",
        created_at="When it was uploaded (UTC).",
    ),
)
_brain_species = related_value(_species.c.scientific_name, _species.c.id, _brain.c.species_id)
BRAIN = Entity(
    "Brain",
    _brain,
    {
        **columns(
            _brain,
            "id",
            "uuid",
            "readable_id",
            "name",
            "description",
            "verified",
            "is_reference",
            "species_id",
            "category_id",
            "uploader_id",
            "created_at",
            "updated_at",
        ),
        "species_scientific_name": FieldSpec(
            _brain_species, Kind.STRING, description="The scientific name of its species."
        ),
        "species_slug": scientific_slug(
            _brain_species, "Its species' scientific name as a slug, e.g. mus-musculus."
        ),
        # BrainMaps' ``?category=`` filter (compared with ``iexact``).
        "category_name": FieldSpec(
            category_name(_brain), Kind.STRING, False, "The name of its category."
        ),
    },
    default_order=(Order("created_at", descending=True),),
    search=BRAIN_SEARCH,
    relations={
        "species": ToOne("Species", "species_id", "Its species."),
        "category": ToOne("Category", "category_id", "Its BrainMaps category."),
        "uploader": ToOne("User", "uploader_id", "Who uploaded it."),
        "file": ToOne("FileUpload", "file_id", "The uploaded scan file."),
    },
    description="A brain scan (BrainMaps).",
    plural="brains",
    lookups=("id", "readable_id"),
    attributes=attributes(
        _brain,
        id="Its id.",
        uuid="Its UUID.",
        readable_id="Its readable id, e.g. groovy-sparrow (BrainMaps looks brains up by it).",
        name=Attribute("Its name.", writable=True, required=True),
        description=Attribute("What it shows.", writable=True),
        verified="Whether a reviewer has verified it (unverified brains are not public).",
        is_reference=Attribute("Whether it is a reference brain of its species.", True),
        website=Attribute("A web page about it.", writable=True),
        created_at="When it was uploaded (UTC).",
        updated_at="When it last changed (UTC).",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (FILE_UPLOAD, BRAIN)
