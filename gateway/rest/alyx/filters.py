"""The filters of each Alyx list endpoint, as real Alyx's filtersets declare them (DOMAIN.md
§2.1-2.4; cortex-lab/alyx 3.6.1 ``SubjectFilter``, ``SessionFilter``, ``DatasetFilter``):
each parameter, in its filterset's order, and the model paths ``django=`` reaches.

Alyx's filtersets take every model field (``exclude = []``). Fields neurogate does not record
are declared with :func:`~.query.unrecorded`, so they filter as on an Alyx where no record
sets them. Not yet served, because their entities are not modelled yet: the sessions'
``histology`` (procedures of sessions), and the ``json`` and ``extended_qc`` key/value
queries. They are left out of the OpenAPI document, so ONE warns before sending them, and
ignored if sent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.errors import QueryError
from gateway.rest.alyx.query import (
    ATLAS_PARAMS,
    Listing,
    Param,
    absent,
    compared,
    contains,
    day_range,
    each_of,
    equals,
    equals_any_case,
    key_or_name,
    qc_choice,
    unrecorded,
)
from gateway.rest.alyx.writes import QC_VALUES
from resolvers import catalog
from resolvers.query import AllOf, AnyOf, Condition, Entity, Filter

NOT_RECORDED = "Not recorded by neurogate: a value matches no record."


def _datasets_of_qc_at_most(entity: Entity, param: str, raw: str) -> Condition:
    """Sessions with a dataset whose QC is at most the one given (a name or its number).
    Every dataset here is NOT_SET (0), the lowest QC, so that is any session with one."""
    text = raw.strip().upper()
    value = QC_VALUES.get(text, int(text) if text.isdigit() else None)
    if value not in QC_VALUES.values():
        raise QueryError(f"Invalid {param}, choices are: {', '.join(QC_VALUES)}.")
    return Filter("dataset_name", "isnull", False)


def _water_restricted(entity: Entity, param: str, raw: str) -> Condition:
    """Subjects with (true) or without (false) a water restriction under way, alive or
    dead after today, as Alyx's ``filter_water_restricted`` selects them."""
    flag = raw.strip().lower()
    if flag not in {"true", "false", "1", "0"}:
        raise QueryError(f"'{param}' takes true or false.")
    living = AnyOf(
        (Filter("death_date", "isnull", True), Filter("death_date", "gt", datetime.now(UTC).date()))
    )
    restricted = Filter("water_restriction_under_way", "isnull", flag not in {"true", "1"})
    return AllOf((restricted, living))


SUBJECT_FILTERS = Listing(
    catalog.SUBJECT,
    (
        Param("nickname", equals("nickname"), "The subject's nickname."),
        Param("id", equals("id"), "The subject's UUID."),
        Param("name", unrecorded(), NOT_RECORDED),
        Param("lab", equals("lab_name"), "The lab's name."),
        Param("sex", equals("sex"), "M, F or U."),
        Param("species", key_or_name("species_id", "species_name"), "The species' UUID or name."),
        Param("strain", key_or_name("strain_id", "strain_name"), "The strain's UUID or name."),
        Param("line", equals("genetic_line"), "The genetic line."),
        Param("genotype", equals("genotype"), "An allele of its genotype."),
        Param("description", equals("description"), "Its description, exactly."),
        Param("responsible_user", equals("responsible_username"), "The username responsible."),
        Param("project", equals("project_name"), "The name of one of its projects."),
        Param("projects", equals("project_name"), "The name of one of its projects."),
        Param("alive", absent("death_date"), "true: no death date; false: one.", "boolean"),
        Param(
            "water_restricted",
            _water_restricted,
            "true: a water restriction is under way; false: none is (the dead left out).",
            "boolean",
        ),
        Param("birth_date", equals("birth_date"), "YYYY-MM-DD."),
        Param("death_date", equals("death_date"), "YYYY-MM-DD."),
        # Stock subjects are those of a stock manager; neurogate has none (the users' records
        # show is_stock_manager false).
        Param("stock", unrecorded("false"), "Whether a stock manager is responsible.", "boolean"),
        *(
            Param(name, unrecorded(), NOT_RECORDED)
            for name in (
                "litter",
                "source",
                "cage",
                "request",
                "ear_mark",
                "protocol_number",
                "genotype_test",
                "wean_date",
                "genotype_date",
                "reduced_date",
                "adverse_effects",
                "actual_severity",
            )
        ),
        *(
            Param(name, unrecorded("false"), NOT_RECORDED, "boolean")
            for name in ("to_be_genotyped", "to_be_culled")
        ),
    ),
    django={
        "pk": "id",
        "id": "id",
        "nickname": "nickname",
        "sex": "sex",
        "birth_date": "birth_date",
        "death_date": "death_date",
        "description": "description",
        "lab__name": "lab_name",
        "species__nickname": "species_name",
        "strain__name": "strain_name",
        "projects__name": "project_name",
        "responsible_user__username": "responsible_username",
    },
)
SESSION_FILTERS = Listing(
    catalog.SESSION,
    (
        Param("subject", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        Param("nickname", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        Param("id", equals("id"), "The session's UUID."),
        Param("name", equals("name"), "Its name, exactly."),
        Param("number", equals("number"), "The session's number on its day.", "integer"),
        Param("lab", equals_any_case("lab_name"), "The lab's name (any case)."),
        Param("task_protocol", contains("task_protocol"), "Part of the task protocol."),
        Param("projects", contains("project_name"), "Part of a project's name."),
        Param("project", contains("project_name"), "Part of a project's name."),
        Param("type", equals_any_case("type"), "The session type (any case)."),
        Param("users", each_of("username"), "Usernames, comma-separated; all must match."),
        Param("date_range", day_range("start_time"), "YYYY-MM-DD,YYYY-MM-DD, both included."),
        Param("start_time", equals("start_time"), "When it started, exactly (ISO 8601)."),
        Param("end_time", equals("end_time"), "When it ended, exactly (ISO 8601)."),
        Param("auto_datetime", equals("updated_at"), "When it last changed, exactly."),
        Param("narrative", equals("narrative"), "Its narrative, exactly."),
        Param("n_trials", equals("n_trials"), "How many trials it ran.", "integer"),
        Param("n_correct_trials", equals("n_correct_trials"), "How many were correct.", "integer"),
        Param("qc", qc_choice("qc", QC_VALUES), f"Its QC: {', '.join(QC_VALUES)}."),
        Param(
            "performance_gte",
            compared("performance", "gte"),
            "Correct trials, in whole percent, at least this.",
            "number",
        ),
        Param(
            "performance_lte",
            compared("performance", "lte"),
            "Correct trials, in whole percent, at most this.",
            "number",
        ),
        Param("datasets", each_of("dataset_name"), "Dataset names, comma-separated; all present."),
        Param("dataset_types", each_of("dataset_type"), "Dataset types, comma-separated."),
        Param("dataset_qc_lte", _datasets_of_qc_at_most, "With a dataset of QC at most this."),
        Param("tag", contains("dataset_tag"), "Part of the name of a tag on one of its datasets."),
        *ATLAS_PARAMS,
        *(
            Param(name, unrecorded(), NOT_RECORDED)
            for name in ("location", "procedures", "parent_session")
        ),
    ),
    django={
        "pk": "id",
        "id": "id",
        "name": "name",
        "number": "number",
        "type": "type",
        "narrative": "narrative",
        "task_protocol": "task_protocol",
        "start_time": "start_time",
        "end_time": "end_time",
        "auto_datetime": "updated_at",
        "n_trials": "n_trials",
        "n_correct_trials": "n_correct_trials",
        "qc": "qc",
        "subject__nickname": "subject_nickname",
        "lab__name": "lab_name",
        "projects__name": "project_name",
        "users__username": "username",
    },
    iexact=frozenset({"subject__nickname", "lab__name", "type"}),
)
DATASET_FILTERS = Listing(
    catalog.FILE_UPLOAD,
    (
        Param("session", equals("session_id"), "The session's UUID."),
        Param("id", equals("uuid"), "The dataset's UUID."),
        Param("name", equals("name"), "The file name."),
        Param("dataset_type", equals("dataset_type"), "The dataset type."),
        Param("collection", equals("collection"), "The collection (sub-folder)."),
        Param("created_by", equals("uploader_username"), "The uploader's username."),
        Param("subject", equals("subject_nickname"), "The session's subject nickname."),
        Param("tag", equals("tag_name"), "The name of one of its tags."),
    ),
    django={
        "pk": "uuid",
        "tags__name": "tag_name",
        "default_dataset": "default_dataset",
        "hash": "md5",
        "version": "version",
        "id": "uuid",
        "name": "name",
        "session": "session_id",
        "session__id": "session_id",
        "dataset_type__name": "dataset_type",
        "collection": "collection",
        "file_size": "size",
        "created_datetime": "created_at",
        "created_by__username": "uploader_username",
        "session__subject__nickname": "subject_nickname",
    },
)
LAB_FILTERS = Listing(
    catalog.LABORATORY,
    (
        Param("name", equals("name"), "The lab's name."),
        Param("institution", equals("institution"), "The lab's institution."),
    ),
    django={"pk": "id", "name": "name", "institution": "institution", "timezone": "timezone"},
)
PROJECT_FILTERS = Listing(
    catalog.PROJECT,
    (Param("name", equals("name"), "The project's name."),),
    django={"pk": "id", "name": "name", "description": "description"},
)
USER_FILTERS = Listing(
    catalog.USER,
    (Param("username", equals("username"), "The username."),),
    django={
        "pk": "alyx_id",
        "id": "alyx_id",
        "username": "username",
        "first_name": "first_name",
        "last_name": "last_name",
    },
)


_NAMED = {"pk": "id", "id": "id", "name": "name"}


def _by_name(entity: Entity, *, described: str) -> Listing:
    """An endpoint of named reference records, filtered by name (Alyx's
    ``filterset_fields = ('name',)``)."""
    return Listing(entity, (Param("name", equals("name"), described),), django=_NAMED)


# Alyx's DatasetTypeList and DataFormatList declare no filters.
DATASET_TYPE_FILTERS = Listing(catalog.ENTITIES["DatasetType"], (), django=_NAMED)
DATA_FORMAT_FILTERS = Listing(catalog.ENTITIES["DataFormat"], (), django=_NAMED)
DATA_REPOSITORY_FILTERS = Listing(
    catalog.ENTITIES["DataRepository"],
    (
        Param("name", equals("name"), "The repository's name."),
        Param(
            "globus_is_personal",
            equals("globus_is_personal"),
            "Whether it is a personal Globus endpoint.",
            "boolean",
        ),
        Param("globus_endpoint_id", equals("globus_endpoint_id"), "Its Globus endpoint."),
    ),
    django={**_NAMED, "globus_is_personal": "globus_is_personal"},
)
REVISION_FILTERS = _by_name(catalog.ENTITIES["Revision"], described="The revision's name.")
TAG_FILTERS = _by_name(catalog.ENTITIES["Tag"], described="The tag's name.")
FILE_RECORD_FILTERS = Listing(
    catalog.ENTITIES["FileRecord"],
    (
        Param("dataset", equals("dataset_uuid"), "The dataset's UUID."),
        Param("exists", equals("exists"), "Whether the file is there.", "boolean"),
        Param("lab", equals("lab_name"), "The lab of its dataset's session."),
        Param("data_repository", equals("repository_name"), "The repository's name."),
        Param(
            "globus_is_personal",
            equals("globus_is_personal"),
            "Whether its repository is a personal Globus endpoint.",
            "boolean",
        ),
    ),
    django={
        "pk": "id",
        "id": "id",
        "dataset": "dataset_uuid",
        "dataset__id": "dataset_uuid",
        "exists": "exists",
        "data_repository__name": "repository_name",
        "data_repository__globus_is_personal": "globus_is_personal",
        "dataset__session__lab__name": "lab_name",
    },
)
