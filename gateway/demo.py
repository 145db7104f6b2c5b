"""A small, realistic demo data set, so a fresh gateway shows something real in GraphiQL."""

from __future__ import annotations

import random
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.connectome.importer import Target, import_connectome
from gateway.connectome.synthetic import PROPERTY_FILES, file_names, generate
from gateway.db.models import (
    Brain,
    Category,
    ConnectomeDataset,
    FileUpload,
    Laboratory,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    Species,
    Strain,
    Subject,
    SubjectProject,
    User,
)
from gateway.db.models.collections import Collection, CollectionSession
from gateway.db.models.dissemination import Journal, ProjectPublication, Publication
from gateway.db.models.experiments import Cohort, CohortSubject
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
from gateway.db.models.personal import BehavioralAssay, DataStorage, Setup, SetupDevice
from gateway.db.models.references import (
    BehavioralCategory,
    BehavioralParadigm,
    HardwareDevice,
    RegulatoryAuthority,
    SetupType,
    Supplier,
)
from gateway.db.models.taxonomy import Approval
from gateway.demo_alyx_data import seed_alyx_data
from gateway.demo_atlas import brain_regions, probe_insertions
from gateway.demo_groups import seed_groups
from gateway.demo_holdings import Lab, seed_holdings
from gateway.demo_volumes import volume
from gateway.demo_water import seed_water_control
from gateway.storage import StagedFile, Storage

CATEGORIES = {
    "Rodents": "Mice, rats and other rodents",
    "Primates": "Monkeys, apes and humans",
    "Insects": "Flies, bees and other insects",
    "Birds": "Avian species",
    "Fish": "Zebrafish and other teleosts",
    "Cephalopods": "Octopuses, squids, and cuttlefish",
}
# (common name, scientific name, category, description)
SPECIES = [
    ("Mouse", "Mus musculus", "Rodents", "House mouse, the workhorse of systems neuroscience"),
    ("Rat", "Rattus norvegicus", "Rodents", "Brown rat"),
    ("Rhesus macaque", "Macaca mulatta", "Primates", "Old World monkey"),
    ("Common marmoset", "Callithrix jacchus", "Primates", "New World monkey"),
    ("Human", "Homo sapiens", "Primates", "Human"),
    ("Fruit fly", "Drosophila melanogaster", "Insects", "Source of the FlyWire connectome"),
    ("Honey bee", "Apis mellifera", "Insects", "Western honey bee"),
    ("Zebra finch", "Taeniopygia guttata", "Birds", "Songbird model of vocal learning"),
    ("Zebrafish", "Danio rerio", "Fish", "Transparent larvae for whole-brain imaging"),
    ("Common octopus", "Octopus vulgaris", "Cephalopods", "Cephalopod with a large brain"),
]
STRAINS = [
    ("C57BL/6J", "Mouse", "The most widely used inbred mouse strain"),
    ("Ai14", "Mouse", "Cre-dependent tdTomato reporter line"),
    ("Long-Evans", "Rat", "Outbred rat strain"),
    ("Canton-S", "Fruit fly", "Wild-type fly strain"),
]
LABS = [
    ("cortexlab", "University College London", "Europe/London"),
    ("hoferlab", "Sainsbury Wellcome Centre", "Europe/London"),
    ("churchlandlab", "University of California, Los Angeles", "America/Los_Angeles"),
    ("buzsakilab", "New York University", "America/New_York"),
]
USERS = [
    ("admin", "admin@neurogate.example", "Ada", "Admin", True, True),
    ("reviewer", "reviewer@neurogate.example", "Rosalind", "Reviewer", False, True),
    ("nick", "nick@cortexlab.example", "Nick", "Steinmetz", False, False),
    ("sonja", "sonja@hoferlab.example", "Sonja", "Hofer", False, False),
    ("anne", "anne@churchlandlab.example", "Anne", "Churchland", False, False),
]
PROJECTS = [
    ("ibl_neuropixels_brainwide", "Brain-wide map of decision making", True, "cortexlab"),
    ("visual_cortex_learning", "Plasticity in mouse V1 during learning", True, "hoferlab"),
    ("posterior_parietal_decisions", "Evidence accumulation in PPC", False, "churchlandlab"),
    ("hippocampal_ripples", "Sharp-wave ripples and memory", False, "buzsakilab"),
]
TASKS = [
    "_iblrig_tasks_biasedChoiceWorld6.4.2",
    "_iblrig_tasks_trainingChoiceWorld6.4.2",
    "visual_discrimination_v2",
    "passive_gratings",
]


def _pk(row: Any) -> int:
    """The database-assigned integer id of a flushed row."""
    assert row.id is not None
    return int(row.id)


async def is_empty(session: AsyncSession) -> bool:
    return (await session.execute(select(func.count()).select_from(Project))).scalar_one() == 0


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def _store(storage: Storage, name: str, content: bytes) -> StagedFile:
    """Put ``content`` in the store as an upload would (kept whatever the transaction does:
    a content file no row refers to is harmless, a row without its file is not)."""
    staged = await storage.stage(_chunks(content), filename=name, content_type="application/gzip")

    async def nothing_to_save() -> None:
        return None

    async def keep_it() -> bool:
        return True

    await storage.keep(staged, nothing_to_save, keep_it)
    return staged


def _implant(subject_id: Any, when: datetime) -> Procedure:
    """A silicon probe implanted in the hippocampus (BrainSTEM's Procedure schemas)."""
    return Procedure(
        subject_id=subject_id,
        type="SiliconProbeImplant",
        notes="Chronic implant, dorsal CA1",
        date_time=when,
        details={"probeId": "H3-64", "sterilizationMethod": "Ethylene Oxide"},
        type_schema_version="1.0.0",
        coordinates_system="Stereotaxic_BregmaAbsolute",
        coordinates_details={
            "apCoordinate": {"value": -2.0, "unit": "mm"},
            "mlCoordinate": {"value": 1.5, "unit": "mm"},
            "dvCoordinate": {"value": -1.2, "unit": "mm"},
        },
        coordinates_schema_version="1.1.0",
    )


def _weighing(subject: Subject, user_id: int, when: datetime, rng: Any) -> SubjectLog:
    grams = round(rng.uniform(20, 30), 1)
    return SubjectLog(
        subject_id=subject.id,
        type="Weighing",
        description="Daily weight",
        details={"weight": {"value": grams, "unit": "g"}},
        type_schema_version="1.1.0",
        user_id=user_id,
        created_at=when,
        updated_at=when,
    )


async def _rigs(session: AsyncSession, users: dict[str, int]) -> dict[str, tuple[Any, Any]]:
    """Reference records, and each project owner's setup and assay (public: shared)."""
    track = SetupType(name="Linear track", description="A straight track with reward ports")
    choice = BehavioralCategory(name="Decision making", description="Choosing between options")
    supplier = Supplier(name="Neuronexus", website="https://www.neuronexus.com")
    session.add_all([track, choice, supplier])
    await session.flush()
    paradigm = BehavioralParadigm(
        name="Two-alternative forced choice",
        description="Report which of two stimuli was shown",
        category_id=choice.id,
    )
    amplifier = HardwareDevice(
        name="Intan RHD2164", description="64-channel headstage", supplier_id=supplier.id
    )
    session.add_all([paradigm, amplifier])
    await session.flush()
    rigs = {}
    for owner in ("nick", "sonja", "anne"):
        setup = Setup(
            name=f"{owner}'s rig", location="Room 2.14", setup_type_id=track.id,
            user_id=users[owner], is_public=True,
        )  # fmt: skip
        assay = BehavioralAssay(
            name=f"{owner}'s 2AFC", setup_type_id=track.id, behavioral_paradigm_id=paradigm.id,
            user_id=users[owner], is_public=True,
        )  # fmt: skip
        storage = DataStorage(name=f"{owner}'s server", location="/data", user_id=users[owner])
        session.add_all([setup, assay, storage])
        await session.flush()
        session.add(SetupDevice(setup_id=setup.id, hardware_device_id=amplifier.id))
        rigs[owner] = (setup.id, assay.id)
    return rigs


async def _dissemination(
    session: AsyncSession, projects: dict[str, Any], user_id: int, category_id: Any
) -> None:
    """Reference records of the licensing and publishing side: a narrower behavioral
    category, a regulatory authority, and a publication in a journal reporting on a public
    and a private project."""
    session.add(
        BehavioralCategory(
            name="Perceptual decisions",
            description="Choices about what was sensed",
            parent_id=category_id,
        )
    )
    session.add(
        RegulatoryAuthority(
            name="Home Office",
            abbreviation="HO",
            country="GB",
            authority_type="national",
            website="https://www.gov.uk/government/organisations/home-office",
            description="Issues project and personal licences for animal research in the UK.",
        )
    )
    journal = Journal(name="Neuron", website="https://www.cell.com/neuron")
    session.add(journal)
    await session.flush()
    paper = Publication(
        title="Cooling of medial septum reveals theta phase lag coordination of hippocampal "
        "cell assemblies",
        authors="Petersen PC, Buzsaki G",
        journal_id=journal.id,
        abstract="Cooling the medial septum slows theta and keeps the order of assemblies.",
        doi="10.1016/j.neuron.2020.05.023",
        publication_date=date(2020, 6, 10),
        user_id=user_id,
    )
    session.add(paper)
    await session.flush()
    for name in ("ibl_neuropixels_brainwide", "hippocampal_ripples"):
        session.add(ProjectPublication(project_id=projects[name], publication_id=paper.id))


async def _recorded(
    session: AsyncSession,
    session_id: Any,
    subject_id: Any,
    implant_id: Any,
    rng: Any,
    setup_id: Any,
    assay_id: Any,
) -> None:
    """What a demo session recorded: the subject's behavior on a setup, an extracellular
    recording through its implant, and optogenetic stimulation."""
    behavior = Behavior(
        session_id=session_id,
        setup_id=setup_id,
        behavioral_assay_id=assay_id,
        notes="Licks and running speed",
        order=1,
    )
    acquisition = DataAcquisition(
        session_id=session_id,
        type="ExtracellularEphys",
        details={
            "nChannels": 64,
            "sr": {"value": 30, "unit": "kHz"},
            "format": "int16",
            "fileName": "continuous.dat",
        },
        type_schema_version="1.1.0",
        order=2,
    )
    stimulation = Manipulation(
        session_id=session_id,
        type="OptogeneticStimulation",
        details=[
            {
                "wavelength": {"value": 473, "unit": "nm"},
                "power": {"value": round(rng.uniform(1, 10), 1), "unit": "mW"},
                "profile": "Pulse train",
            }
        ],
        type_schema_version="1.1.0",
        order=3,
    )
    session.add_all([behavior, acquisition, stimulation])
    await session.flush()
    session.add(BehaviorSubject(behavior_id=behavior.id, subject_id=subject_id))
    session.add(
        DataAcquisitionProcedure(data_acquisition_id=acquisition.id, procedure_id=implant_id)
    )
    session.add(ManipulationProcedure(manipulation_id=stimulation.id, procedure_id=implant_id))


def _first_lab(
    subjects: list[tuple[Subject, Procedure]], setup_id: Any, supplier_id: Any, when: datetime
) -> Lab:
    """The first project's owner, setup, a female and a male subject, and their implants."""
    by_sex = {subject.sex: subject for subject, _ in reversed(subjects)}
    mother = by_sex.get("F", subjects[0][0])
    father = by_sex.get("M", subjects[-1][0])
    return Lab(
        owner=subjects[0][0].responsible_user_id,  # type: ignore[arg-type]
        setup_id=setup_id,
        supplier_id=supplier_id,
        project_id=mother.project_id,  # type: ignore[arg-type]
        mother_id=mother.id,
        father_id=father.id,
        implant_ids=tuple(implant.id for _, implant in subjects),
        when=when,
    )


async def seed_demo(session: AsyncSession, *, storage: Storage, seed: int = 7) -> None:
    """Insert the demo data set and commit it: the rows first, then the connectome, which the
    importer loads in a transaction of its own; the brains' files (small generated volumes) go
    into ``storage``."""
    rng = random.Random(seed)
    categories = {name: Category(name=name, description=d) for name, d in CATEGORIES.items()}
    session.add_all(categories.values())
    await session.flush()
    species = {
        name: Species(
            name=name, scientific_name=sci, description=desc, category_id=categories[cat].id
        )
        for name, sci, cat, desc in SPECIES
    }
    session.add_all(species.values())
    strains = {
        name: Strain(name=name, species_id=species[sp].id, description=desc)
        for name, sp, desc in STRAINS
    }
    session.add_all(strains.values())
    labs = {name: Laboratory(name=name, institution=inst, timezone=tz) for name, inst, tz in LABS}
    session.add_all(labs.values())
    users = {
        username: User(
            username=username,
            email=email,
            first_name=first,
            last_name=last,
            is_admin=admin,
            is_reviewer=reviewer,
        )
        for username, email, first, last, admin, reviewer in USERS
    }
    session.add_all(users.values())
    await session.flush()

    for region in brain_regions():  # parents first: each names one already stored
        session.add(region)
        await session.flush()
    rigs = await _rigs(session, {name: _pk(user) for name, user in users.items()})
    owners = {
        "cortexlab": "nick",
        "hoferlab": "sonja",
        "churchlandlab": "anne",
        "buzsakilab": "nick",
    }
    start = datetime(2024, 3, 4, 9, 30)
    project_ids = {}
    first_subjects: list[tuple[Subject, Procedure]] = []  # the first project's
    for p_index, (pname, desc, public, lab) in enumerate(PROJECTS):
        project = Project(name=pname, description=desc, is_public=public, tags=["demo"])
        session.add(project)
        await session.flush()
        project_ids[pname] = project.id
        owner = users[owners[lab]]
        session.add(
            ProjectMember(project_id=project.id, user_id=_pk(owner), role="manager", is_owner=True)
        )
        sp = species["Rat"] if lab == "buzsakilab" else species["Mouse"]
        strain = strains["Long-Evans"] if lab == "buzsakilab" else strains["C57BL/6J"]
        cohort = Cohort(name="first cohort", description="Trained first", project_id=project.id)
        session.add(cohort)
        collection = Collection(
            name="first sessions", description="Each subject's first session", project_id=project.id
        )
        session.add(collection)
        for s_index in range(3):
            nickname = f"{lab[:2].upper()}{p_index:01d}{s_index + 10:02d}"
            subject = Subject(
                nickname=nickname,
                sex=rng.choice("MF"),
                project_id=project.id,
                species_id=sp.id,
                strain_id=strain.id,
                lab_id=labs[lab].id,
                responsible_user_id=_pk(owner),
                birth_date=date(2023, 9, 1) + timedelta(days=rng.randrange(120)),
                description=f"{sp.name} in {pname}",
            )
            session.add(subject)
            await session.flush()
            session.add(SubjectProject(subject_id=subject.id, project_id=project.id))
            if s_index < 2:
                session.add(CohortSubject(cohort_id=cohort.id, subject_id=subject.id))
            implant = _implant(subject.id, start - timedelta(days=10 - s_index))
            session.add(implant)
            if p_index == 0:
                first_subjects.append((subject, implant))
            for day in range(3):
                session.add(_weighing(subject, _pk(owner), start + timedelta(days=day), rng))
            await session.flush()
            recorded = []
            for number in range(1, 5):
                begin = start + timedelta(days=7 * s_index + number, hours=rng.randrange(6))
                sess = Session(
                    name=f"{nickname}_{begin:%Y-%m-%d}_{number:03d}",
                    number=number,
                    start_time=begin,
                    end_time=begin + timedelta(minutes=50),
                    task_protocol=rng.choice(TASKS),
                    project_id=project.id,
                    subject_id=subject.id,
                    lab_id=labs[lab].id,
                    n_trials=rng.randrange(300, 900),
                    narrative="",
                )
                session.add(sess)
                await session.flush()
                session.add(SessionProject(session_id=sess.id, project_id=project.id))
                recorded.append(sess.id)
                setup, assay = rigs[owners[lab]]
                await _recorded(session, sess.id, subject.id, implant.id, rng, setup, assay)
                if number <= 2:
                    probes = probe_insertions(sess.id, begin, 4 * s_index + number)
                    session.add(probes[0])
                    await session.flush()
                    session.add_all(probes[1:])
                if number == 1:
                    session.add(CollectionSession(collection_id=collection.id, session_id=sess.id))
            if p_index == 0 and s_index == 0:  # README: the demo's water-restricted subject
                await seed_water_control(
                    session, subject.id, _pk(owner), labs[lab].id, start, recorded, seed=seed
                )

    decision_making = BehavioralCategory.name == "Decision making"
    category = select(BehavioralCategory.id).where(decision_making)  # type: ignore[call-overload]
    decisions = (await session.execute(category)).scalar_one()
    await _dissemination(session, project_ids, _pk(users["nick"]), decisions)
    supplier = select(Supplier.id).where(Supplier.name == "Neuronexus")  # type: ignore[call-overload]
    supplier_id = (await session.execute(supplier)).scalar_one()
    setup = rigs[owners["cortexlab"]][0]
    await seed_holdings(session, _first_lab(first_subjects, setup, supplier_id, start))

    for index, (name, sp_name, verified, shape) in enumerate(
        [
            ("Allen CCF reference mouse", "Mouse", True, (26, 36, 20)),
            ("Waxholm rat template", "Rat", True, (32, 44, 26)),
            ("Octopus optic lobe", "Common octopus", False, (30, 18, 18)),
        ]
    ):
        stored = await _store(storage, f"brain_{index}.nii.gz", volume(shape))
        upload = FileUpload(
            name=stored.filename,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
            uploader_id=_pk(users["sonja"]),
        )
        session.add(upload)
        await session.flush()
        session.add(
            Brain(
                readable_id=name.lower().replace(" ", "-"),
                name=name,
                verified=verified,
                species_id=species[sp_name].id,
                category_id=species[sp_name].category_id,
                uploader_id=_pk(users["sonja"]),
                file_id=upload.id,
                description=name,
            )
        )

    session.add_all(
        [
            Approval(
                model="species",
                action="Add",
                submitter_id=_pk(users["nick"]),
                proposed={
                    "name": "Ferret",
                    "scientific_name": "Mustela putorius furo",
                    "description": "Carnivore model for visual development",
                },
            ),
            Approval(
                model="species",
                action="Change",
                instance_id=str(species["Rat"].id),
                species_id=species["Rat"].id,
                submitter_id=_pk(users["anne"]),
                proposed={"description": "Brown rat, common lab rat"},
            ),
        ]
    )

    await seed_groups(session)
    await seed_alyx_data(session, storage=storage, uploader_id=_pk(users["sonja"]), rng=rng)
    await _seed_connectome(session)


# The README's connectome example asks for these two.
README_SEGMENT_IDS = (720575940634474894, 720575940630280234)
CONNECTOME = "fruitfly_fafb_flywire"
# Small enough to generate and import in well under a second, big enough that the README's
# segments have partners on both sides and every property has present and missing values.
CONNECTOME_NEURONS = 60
CONNECTOME_ROWS = 400
CONNECTOME_SEED = 783
CONNECTOME_VERSION = 783
CONNECTOME_TIMESTAMP = datetime(2023, 9, 30, 5, 0)


async def _seed_connectome(session: AsyncSession) -> None:
    """A generated connectome, written as Codex files with the four property tables and
    loaded by the real importer, so the demo answers every BrainCircuits property from files.
    The importer writes through a connection of its own (SQLite would lock it out of the
    session's open write), so the rows before it are committed first; the import itself is
    all or nothing."""
    session.add(
        ConnectomeDataset(
            name=CONNECTOME, description="FlyWire whole-brain connectome (demo excerpt)"
        )
    )
    url = (await session.connection()).engine.url.render_as_string(hide_password=False)
    await session.commit()
    with tempfile.TemporaryDirectory(prefix="neurogate-demo-connectome-") as folder:
        files = write_connectome_files(Path(folder))
        await import_connectome(
            url,
            Target(CONNECTOME, CONNECTOME_VERSION, CONNECTOME_TIMESTAMP),
            neurons=files["neurons"],
            connections=files["connections"],
            cell_stats=files["cell_stats"],
            properties=[(name, files[name]) for name in PROPERTY_FILES],
        )


def write_connectome_files(out: Path) -> dict[str, Path]:
    """The demo connectome's files in ``out``, by layout and by property: the same every time."""
    generate(
        out,
        neurons=CONNECTOME_NEURONS,
        connections=CONNECTOME_ROWS,
        seed=CONNECTOME_SEED,
        first_ids=README_SEGMENT_IDS,
    )
    return {key: out / name for key, name in file_names().items()}
