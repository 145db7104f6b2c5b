"""The demo data's atlas: a slice of the Allen Mouse Brain Atlas ontology (real structure ids,
acronyms, names and colours, from the root down to primary visual cortex's layers, CA1 and the
thalamus), and the probe insertions of demo sessions with their planned and histology
trajectories, through visual cortex towards the hippocampus."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gateway.db.models import BrainRegion, ProbeInsertion, TrajectoryEstimate

# (id, acronym, name, parent id, colour); listed parents first.
ALLEN_REGIONS: tuple[tuple[int, str, str, int | None, str], ...] = (
    (997, "root", "root", None, "FFFFFF"),
    (8, "grey", "Basic cell groups and regions", 997, "BFDAE3"),
    (567, "CH", "Cerebrum", 8, "B0F0FF"),
    (688, "CTX", "Cerebral cortex", 567, "B0FFB8"),
    (695, "CTXpl", "Cortical plate", 688, "70FF70"),
    (315, "Isocortex", "Isocortex", 695, "70FF71"),
    (669, "VIS", "Visual areas", 315, "08858C"),
    (385, "VISp", "Primary visual area", 669, "08858C"),
    (593, "VISp1", "Primary visual area, layer 1", 385, "08858C"),
    (821, "VISp2/3", "Primary visual area, layer 2/3", 385, "08858C"),
    (721, "VISp4", "Primary visual area, layer 4", 385, "08858C"),
    (778, "VISp5", "Primary visual area, layer 5", 385, "08858C"),
    (33, "VISp6a", "Primary visual area, layer 6a", 385, "08858C"),
    (305, "VISp6b", "Primary visual area, layer 6b", 385, "08858C"),
    (1089, "HPF", "Hippocampal formation", 695, "7ED04B"),
    (1080, "HIP", "Hippocampal region", 1089, "7ED04B"),
    (375, "CA", "Ammon's horn", 1080, "7ED04B"),
    (382, "CA1", "Field CA1", 375, "7ED04B"),
    (726, "DG", "Dentate gyrus", 1080, "7ED04B"),
    (343, "BS", "Brain stem", 8, "FF7080"),
    (1129, "IH", "Interbrain", 343, "FF7080"),
    (549, "TH", "Thalamus", 1129, "FF7080"),
)
PROBE_MODEL = "3B2"


def brain_regions() -> list[BrainRegion]:
    """The atlas slice, parents before their children, each at its depth in the tree."""
    levels: dict[int | None, int] = {None: -1}
    regions = []
    for region_id, acronym, name, parent, rgb in ALLEN_REGIONS:
        levels[region_id] = levels[parent] + 1
        regions.append(
            BrainRegion(
                id=region_id,
                atlas="AIA",
                acronym=acronym,
                name=name,
                parent_id=parent,
                level=levels[region_id],
                rgb=rgb,
                ontology="CCF 2017",
            )
        )
    return regions


def probe_insertions(session_id: Any, begin: datetime, index: int) -> list[Any]:
    """One Neuropixels insertion of a session, planned through VISp towards CA1, and where
    histology found its track (a little off the plan). Rows in insertion order."""
    insertion = ProbeInsertion(
        session_id=session_id,
        name="probe00",
        model=PROBE_MODEL,
        serial=f"1870{index:05d}",
        json_data={"qc": "NOT_SET"},
        created_at=begin,
        updated_at=begin + timedelta(hours=2),
    )
    x, drift = -2243.0 - 10 * index, 35.0 + index % 7
    return [
        insertion,
        TrajectoryEstimate(
            probe_insertion_id=insertion.id,
            provenance=10,
            coordinate_system="IBL-Allen",
            x=x,
            y=-3000.0,
            z=-150.0,
            depth=4000.0,
            theta=15.0,
            phi=180.0,
        ),
        TrajectoryEstimate(
            probe_insertion_id=insertion.id,
            provenance=50,
            coordinate_system="IBL-Allen",
            x=x + drift,
            y=-3000.0 - drift,
            z=-150.0,
            depth=3840.0,
            theta=15.0,
            phi=180.0,
            roll=0.0,
        ),
    ]
