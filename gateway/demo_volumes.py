"""Small generated brain volumes for the demo data: real gzipped NIfTI-1 files (a header and
an 8-bit voxel grid holding an ellipsoid with a brighter core), so demo downloads open in any
NIfTI viewer."""

from __future__ import annotations

import gzip
import struct

NIFTI_HEADER_BYTES = 348
VOXEL_OFFSET = 352  # the header, then four bytes saying "no extensions"
UINT8 = 2  # NIfTI datatype code
MILLIMETRES = 2  # NIfTI xyzt_units code


def _header(shape: tuple[int, int, int], voxel_mm: float) -> bytes:
    header = bytearray(NIFTI_HEADER_BYTES)
    struct.pack_into("<i", header, 0, NIFTI_HEADER_BYTES)
    struct.pack_into("<8h", header, 40, 3, *shape, 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, UINT8, 8)
    struct.pack_into("<8f", header, 76, 1.0, voxel_mm, voxel_mm, voxel_mm, 0, 0, 0, 0)
    struct.pack_into("<f", header, 108, float(VOXEL_OFFSET))
    struct.pack_into("<f", header, 112, 1.0)  # scl_slope: voxel values are intensities
    header[123] = MILLIMETRES
    header[344:348] = b"n+1\0"
    return bytes(header)


def volume(shape: tuple[int, int, int], *, voxel_mm: float = 0.5) -> bytes:
    """A gzipped NIfTI-1 volume of ``shape`` (x, y, z); the same shape gives the same bytes."""
    nx, ny, nz = shape
    voxels = bytearray(nx * ny * nz)
    index = 0
    for z in range(nz):  # NIfTI stores x fastest, then y, then z
        for y in range(ny):
            for x in range(nx):
                r = (
                    (2 * x / (nx - 1) - 1) ** 2
                    + (2 * y / (ny - 1) - 1) ** 2
                    + (2 * z / (nz - 1) - 1) ** 2
                )
                voxels[index] = 0 if r > 1 else int(120 + 135 * (1 - r))
                index += 1
    raw = _header(shape, voxel_mm) + bytes(4) + bytes(voxels)
    return gzip.compress(raw, mtime=0)
