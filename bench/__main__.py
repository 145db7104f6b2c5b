"""``python -m bench [name ...]``: run every benchmark module below, or only the named ones."""

from __future__ import annotations

import importlib
import sys

# Each module exposes ``main() -> None``; add new benchmarks here.
MODULES = [
    "bench.graphql_sessions",
    "bench.graphql_levers",
    "bench.connectome",
    "bench.uploads",
    "bench.rest",
    "bench.load",
    "bench.pg_levers",
    "bench.peer",
]


def main(argv: list[str]) -> None:
    wanted = set(argv)
    unknown = wanted - {name.rsplit(".", 1)[-1] for name in MODULES}
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    for name in MODULES:
        if wanted and name.rsplit(".", 1)[-1] not in wanted:
            continue
        print(f"=== {name}", flush=True)
        importlib.import_module(name).main()


if __name__ == "__main__":
    main(sys.argv[1:])
