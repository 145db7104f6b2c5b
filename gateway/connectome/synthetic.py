"""A synthetic connectome in the FlyWire Codex download layout, for tests and benchmarks.

Degrees are heavy-tailed like a real brain's: partners are drawn with Zipf-like weights, so a
few hub neurons get tens of thousands of partners at FlyWire scale while the median neuron has
a few dozen. Each (pre, post) pair appears once per neuropil it connects in (one to four rows),
and rows are written in random order, as a download gives no useful order to rely on. The same
seed gives the same files.
"""

from __future__ import annotations

import csv
import gzip
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import IO

from gateway.connectome.files import CELL_STATS, CONNECTIONS, NEURONS, NEUROTRANSMITTERS

FLYWIRE_NEURONS = 140_000
FLYWIRE_CONNECTIONS = 3_000_000
# Zipf exponent of the partner weights: at FlyWire scale the biggest hubs reach ~10-30k
# partners while the median stays in the tens.
ZIPF_EXPONENT = 0.85
FIRST_ROOT_ID = 720575940600000000  # FlyWire root ids live just above 7.2e17 (> 2^53)
NEUROPILS = (
    "AL_L", "AL_R", "AME_L", "AME_R", "AVLP_L", "AVLP_R", "CRE_L", "CRE_R", "EB", "FB",
    "GNG", "LAL_L", "LAL_R", "LO_L", "LO_R", "LOP_L", "LOP_R", "MB_CA_L", "MB_CA_R", "ME_L",
    "ME_R", "PB", "PLP_L", "PLP_R", "PVLP_L", "PVLP_R", "SLP_L", "SLP_R", "SMP_L", "SMP_R",
)  # fmt: skip
WRITE_BATCH = 100_000  # connection rows written between two progress reports
NEUROPILS_PER_PAIR = (1, 2, 3, 4)
NEUROPIL_WEIGHTS = (75, 17, 6, 2)
UNKNOWN_NT_SHARE = 0.02
MISSING_STATS_SHARE = 0.03


@dataclass(frozen=True)
class Summary:
    neurons: int
    connections: int
    pairs: int
    max_out_degree: int
    max_in_degree: int


def _open(path: Path, gzipped: bool) -> IO[str]:
    if gzipped:
        # Level 1: several times faster to write than the default, a little larger on disk.
        return gzip.open(path, "wt", compresslevel=1, newline="", encoding="utf-8")
    return path.open("w", newline="", encoding="utf-8")


# The per-neuron property tables written beside the Codex files, by the property each holds:
# soma positions in Codex's own coordinates.csv layout, the others as root_id tables.
PROPERTY_FILES = {
    "soma": "coordinates",
    "nucleus": "nuclei",
    "mitochondria": "mitochondria",
    "dcv": "dcv",
}
MISSING_NUCLEUS_SHARE = 0.04  # cells whose nucleus the segmentation missed
NO_DCV_SHARE = 0.6  # most neurons carry no dense-core vesicles
# FAFB's extent in nanometres (x, y, z): positions fall inside it.
BRAIN_NM = (1_000_000, 500_000, 300_000)


def file_names(gzipped: bool = True) -> dict[str, str]:
    """File names by layout (neurons, connections, cell_stats) and by property."""
    suffix = ".csv.gz" if gzipped else ".csv"
    names = {layout.name: layout.name + suffix for layout in (NEURONS, CONNECTIONS, CELL_STATS)}
    names.update({prop: stem + suffix for prop, stem in PROPERTY_FILES.items()})
    return names


def generate(
    out: Path,
    *,
    neurons: int = FLYWIRE_NEURONS,
    connections: int = FLYWIRE_CONNECTIONS,
    seed: int = 783,
    gzipped: bool = True,
    progress: Callable[[int], None] | None = None,
    first_ids: Sequence[int] = (),
) -> Summary:
    """Write ``neurons.csv[.gz]``, ``connections.csv[.gz]``, ``cell_stats.csv[.gz]`` and the
    property tables of :data:`PROPERTY_FILES`.
    ``first_ids`` are root ids the set must hold (the demo's documented ones), in place of the
    first drawn ones; everything else is what the seed gives without them.
    ``progress`` hears of connection rows as they are drawn and again as they are written
    (twice ``connections`` in all): the two steps that take the time."""
    advance = progress or (lambda _rows: None)
    if neurons < 2:
        raise ValueError("a connectome needs at least two neurons")
    max_rows = neurons * (neurons - 1) * len(NEUROPILS)
    if connections > max_rows // 4:
        raise ValueError(f"{connections} connection rows is too dense for {neurons} neurons")
    if len(set(first_ids)) != len(first_ids) or len(first_ids) > neurons:
        raise ValueError("first_ids must be distinct and no more than the neurons")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    names = file_names(gzipped)
    drawn = [FIRST_ROOT_ID + offset for offset in rng.sample(range(10**10), neurons)]
    given = set(first_ids)
    ids = [*first_ids, *(i for i in drawn if i not in given)][:neurons]
    nt_types = _write_neurons(out / names["neurons"], rng, ids, gzipped)
    _write_cell_stats(out / names["cell_stats"], rng, ids, gzipped)
    # Their own generator, so the Codex files stay what the seed gave before these existed.
    _write_properties(out, names, random.Random(seed + 1), ids, gzipped)
    pre, post, neuropil, syn = _draw_connections(rng, neurons, connections, advance)
    order = list(range(len(pre)))
    rng.shuffle(order)
    with _open(out / names["connections"], gzipped) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CONNECTIONS.names)
        for start in range(0, len(order), WRITE_BATCH):
            batch = order[start : start + WRITE_BATCH]
            writer.writerows(
                (ids[pre[i]], ids[post[i]], NEUROPILS[neuropil[i]], syn[i], nt_types[pre[i]])
                for i in batch
            )
            advance(len(batch))
    out_degree, in_degree = _degrees(pre, post, neurons)
    return Summary(
        neurons=neurons,
        connections=len(pre),
        pairs=sum(out_degree),
        max_out_degree=max(out_degree),
        max_in_degree=max(in_degree),
    )


def _write_neurons(path: Path, rng: random.Random, ids: list[int], gzipped: bool) -> list[str]:
    nt_types = []
    with _open(path, gzipped) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(NEURONS.names)
        for root_id in ids:
            group = f"{rng.choice(NEUROPILS)}.{rng.choice(NEUROPILS)}"
            if rng.random() < UNKNOWN_NT_SHARE:
                nt_types.append("")
                writer.writerow((root_id, group, "", "", *("" for _ in NEUROTRANSMITTERS)))
                continue
            raw = [rng.random() ** 3 for _ in NEUROTRANSMITTERS]
            total = sum(raw)
            scores = [round(value / total, 4) for value in raw]
            best = max(range(len(scores)), key=scores.__getitem__)
            nt_types.append(NEUROTRANSMITTERS[best].upper())
            writer.writerow((root_id, group, nt_types[-1], scores[best], *scores))
    return nt_types


def _write_cell_stats(path: Path, rng: random.Random, ids: list[int], gzipped: bool) -> None:
    with _open(path, gzipped) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CELL_STATS.names)
        for root_id in ids:
            if rng.random() < MISSING_STATS_SHARE:
                continue
            length = rng.randrange(10**5, 5 * 10**7)
            writer.writerow((root_id, length, length * rng.randrange(200, 900), length * 1000))


def _write_properties(
    out: Path, names: dict[str, str], rng: random.Random, ids: list[int], gzipped: bool
) -> None:
    """Soma and nucleus positions (the nucleus a few microns from the soma's surface point),
    mitochondria counts and volumes, dense-core vesicle counts: one row per neuron, fewer
    where a real table has gaps (nuclei the segmentation missed, neurons without vesicles)."""
    handles = {prop: _open(out / names[prop], gzipped) for prop in PROPERTY_FILES}
    try:
        writers = {prop: csv.writer(h, lineterminator="\n") for prop, h in handles.items()}
        writers["soma"].writerow(("root_id", "position", "supervoxel_id"))
        writers["nucleus"].writerow(("root_id", "nucleus_id", "position", "volume_um3"))
        writers["mitochondria"].writerow(
            ("root_id", "count", "total_volume_um3", "mean_volume_um3")
        )
        writers["dcv"].writerow(("root_id", "count", "density_per_um"))
        for number, root_id in enumerate(ids):
            soma = [rng.randrange(extent // 10, extent - extent // 10) for extent in BRAIN_NM]
            supervoxel = 78_000_000_000_000_000 + rng.randrange(10**15)
            writers["soma"].writerow((root_id, _position(soma), supervoxel))
            if rng.random() >= MISSING_NUCLEUS_SHARE:
                nucleus = [axis + rng.randrange(-3000, 3000) for axis in soma]
                volume = round(rng.lognormvariate(3.5, 0.4), 2)
                nucleus_id = 7_000_000 + number
                writers["nucleus"].writerow((root_id, nucleus_id, _position(nucleus), volume))
            count = max(1, int(rng.lognormvariate(5, 1)))
            mean = round(rng.uniform(0.02, 0.2), 4)
            writers["mitochondria"].writerow((root_id, count, round(count * mean, 3), mean))
            if rng.random() >= NO_DCV_SHARE:
                dcv = int(rng.paretovariate(1.3) * 5)
                writers["dcv"].writerow((root_id, dcv, round(dcv / rng.uniform(500, 5000), 5)))
    finally:
        for handle in handles.values():
            handle.close()


def _position(xyz: list[int]) -> str:
    return f"[{xyz[0]} {xyz[1]} {xyz[2]}]"  # Codex's notation


def _draw_connections(
    rng: random.Random, neurons: int, rows: int, advance: Callable[[int], None]
) -> tuple[array[int], array[int], array[int], array[int]]:
    """Distinct (pre, post) pairs, no autapses, each spread over 1-4 distinct neuropils."""
    out_weights = _zipf_weights(rng, neurons)
    in_weights = _zipf_weights(rng, neurons)
    population = range(neurons)
    pre, post, neuropil, syn = array("i"), array("i"), array("b"), array("i")
    seen: set[int] = set()
    drawn = 0  # rows reported to advance()
    while len(pre) < rows:
        batch = min(100_000, rows)
        pres = rng.choices(population, cum_weights=out_weights, k=batch)
        posts = rng.choices(population, cum_weights=in_weights, k=batch)
        spreads = rng.choices(NEUROPILS_PER_PAIR, weights=NEUROPIL_WEIGHTS, k=batch)
        for a, b, spread in zip(pres, posts, spreads, strict=True):
            key = a * neurons + b
            if a == b or key in seen:
                continue
            seen.add(key)
            for where in rng.sample(range(len(NEUROPILS)), spread):
                pre.append(a)
                post.append(b)
                neuropil.append(where)
                syn.append(min(2000, int(rng.paretovariate(1.1) * 2)))
                if len(pre) == rows:
                    advance(rows - drawn)
                    return pre, post, neuropil, syn
        advance(len(pre) - drawn)
        drawn = len(pre)
    return pre, post, neuropil, syn


def _zipf_weights(rng: random.Random, n: int) -> list[float]:
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return list(accumulate(rank**-ZIPF_EXPONENT for rank in ranks))


def _degrees(pre: array[int], post: array[int], n: int) -> tuple[list[int], list[int]]:
    """Distinct partners per neuron (rows of one pair are consecutive in the arrays)."""
    out_degree, in_degree = [0] * n, [0] * n
    last = (-1, -1)
    for pair in zip(pre, post, strict=True):
        if pair != last:
            out_degree[pair[0]] += 1
            in_degree[pair[1]] += 1
            last = pair
    return out_degree, in_degree
