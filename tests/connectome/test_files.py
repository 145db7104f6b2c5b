"""Reading the Codex layout: what is accepted, and how a bad row is named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gateway.connectome.files import (
    CELL_STATS,
    CONNECTIONS,
    NEURONS,
    FormatError,
    NotPlain,
    Reader,
)

HEADER = "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n"
ROWS = [
    "720575940600000001,720575940600000002,AL_L,12,ACH\n",
    "720575940600000002,720575940600000001,MB_CA_R,3,GABA\n",
]
PARSED = [
    (720575940600000001, 720575940600000002, "AL_L", 12, "ACH"),
    (720575940600000002, 720575940600000001, "MB_CA_R", 3, "GABA"),
]


def _read(path: Path, layout=CONNECTIONS) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [row for block in Reader(path, layout).blocks() for row in block.rows()]


def _write(tmp_path: Path, text: str, name: str = "connections.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_and_gzipped_files_read_the_same_whatever_their_name(tmp_path: Path) -> None:
    plain = _write(tmp_path, HEADER + "".join(ROWS))
    packed = tmp_path / "connections.data"  # gzip is recognised by content, not by name
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert _read(plain) == PARSED
    assert _read(packed) == PARSED


def test_quotes_crlf_blank_lines_and_a_missing_final_newline_are_accepted(tmp_path: Path) -> None:
    text = (
        HEADER.replace("\n", "\r\n") + '"720575940600000001",720575940600000002,"AL_L",12,ACH\r\n'
    )
    text += "\r\n" + ROWS[1].rstrip("\n")
    assert _read(_write(tmp_path, text)) == PARSED


def test_columns_are_found_by_name_in_any_order_and_extra_ones_are_ignored(
    tmp_path: Path,
) -> None:
    text = "syn_count,nt_type,extra,post_root_id,pre_root_id,neuropil\n"
    text += "12,ACH,x,720575940600000002,720575940600000001,AL_L\n"
    assert _read(_write(tmp_path, text)) == PARSED[:1]


def test_blocks_split_a_large_file_without_losing_or_repeating_rows(tmp_path: Path) -> None:
    rows = [f"{i},{i + 1},AL_L,{i % 7},ACH\n" for i in range(5_000)]
    path = _write(tmp_path, HEADER + "".join(rows))
    blocks = list(Reader(path, CONNECTIONS, block_bytes=4096).blocks())
    assert len(blocks) > 10
    assert [row[0] for block in blocks for row in block.rows()] == list(range(5_000))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("720575940600000001,oops,AL_L,1,ACH", "post_root_id is 'oops', expected a segment id"),
        ("1,2,AL_L,-4,ACH", "syn_count is '-4', expected a count"),
        ("1,2,AL_L,2147483648,ACH", "syn_count is '2147483648', expected a count (0 to 2^31-1)"),
        ("1,-2,AL_L,4,ACH", "post_root_id is '-2'"),
        ("9223372036854775808,2,AL_L,4,ACH", "pre_root_id is '9223372036854775808'"),
        ("1,2,AL_L,4", "expected 5 fields, found 4"),
        ("1,2,AL_L,4,ACH,extra", "expected 5 fields, found 6"),
        ("1,2," + "N" * 40 + ",4,ACH", "neuropil is longer than 32 characters"),
    ],
)
def test_a_malformed_row_is_named_by_its_line(tmp_path: Path, line: str, message: str) -> None:
    rows = [f"{i},{i + 1},AL_L,3,ACH\n" for i in range(1, 500)]
    rows.insert(299, line + "\n")  # line 301 of the file: the header is line 1
    path = _write(tmp_path, HEADER + "".join(rows))
    with pytest.raises(FormatError) as raised:
        _read(path)
    assert raised.value.line == 301
    assert message in str(raised.value)
    assert str(raised.value).startswith("connections.csv line 301: ")


def test_a_missing_column_or_an_empty_file_fails_on_line_one(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"line 1: missing column\(s\): syn_count"):
        _read(_write(tmp_path, "pre_root_id,post_root_id,neuropil,nt_type\n1,2,AL_L,ACH\n"))
    with pytest.raises(FormatError, match="line 1: the file is empty"):
        _read(_write(tmp_path, ""))


@pytest.mark.parametrize("size", ["9223372036854775808", "-9223372036854775809", "1e19", "inf"])
def test_a_size_past_64_bits_is_named_by_its_line(tmp_path: Path, size: str) -> None:
    """Sizes go to 64-bit columns: a larger one is the file's error, not the database's."""
    rows = "".join(f"{i},{i * 10},{i * 20},{i * 30}\n" for i in range(1, 100))
    path = _write(
        tmp_path, f"root_id,length_nm,area_nm,size_nm\n{rows}100,1,2,{size}\n", "cell_stats.csv"
    )
    with pytest.raises(FormatError) as raised:
        _read(path, CELL_STATS)
    assert str(raised.value) == (
        f"cell_stats.csv line 101: size_nm is '{size}', "
        "expected an integer (up to 2^63-1 either way) or empty"
    )
    largest = "9223372036854775807"
    path = _write(tmp_path, f"root_id,length_nm,area_nm,size_nm\n1,,-{largest},{largest}\n")
    assert _read(path, CELL_STATS) == [(1, None, -int(largest), int(largest))]


def test_neuron_scores_may_be_empty(tmp_path: Path) -> None:
    header = (
        "root_id,group,nt_type,nt_type_score,da_avg,ser_avg,gaba_avg,glut_avg,ach_avg,oct_avg\n"
    )
    text = header + "7,AL.AL,ACH,0.9,0.01,0.02,0.03,0.04,0.9,0\n8,AL.AL,,,,,,,,\n"
    assert _read(_write(tmp_path, text, "neurons.csv"), NEURONS) == [
        (7, "AL.AL", "ACH", 0.9, 0.01, 0.02, 0.03, 0.04, 0.9, 0.0),
        (8, "AL.AL", "", None, None, None, None, None, None, None),
    ]


def _numbered(path: Path, numbers: range = range(100, 10_000), block_bytes: int = 4096) -> bytes:
    return b"".join(Reader(path, CONNECTIONS, block_bytes=block_bytes).numbered_lines(numbers))


def test_numbered_lines_are_the_records_as_they_are_each_behind_its_number(
    tmp_path: Path,
) -> None:
    rows = [f"{i},{i + 1},AL_L,{i % 7},ACH\n" for i in range(2_000)]
    path = _write(tmp_path, HEADER + "".join(rows))
    reader = Reader(path, CONNECTIONS, block_bytes=4096)
    chunks = list(reader.numbered_lines(range(100, 10_000)))
    assert len(chunks) > 5
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    expected = "".join(f"{100 + i},{row}" for i, row in enumerate(rows))
    assert b"".join(chunks).decode() == expected
    assert (reader.rows_read, reader.bytes_read) == (2_000, path.stat().st_size)
    # CRLF line ends and a missing final newline change nothing.
    crlf = _write(tmp_path, (HEADER + "".join(rows)).replace("\n", "\r\n")[:-2], "crlf.csv")
    assert _numbered(crlf).decode() == expected


def test_the_columns_for_a_csv_parser_are_the_layouts_in_the_files_order(tmp_path: Path) -> None:
    reordered = _write(tmp_path, "syn_count,nt_type,post_root_id,pre_root_id,neuropil\n1,A,2,3,B\n")
    assert Reader(reordered, CONNECTIONS).csv_columns() == [
        "syn_count", "nt_type", "post_root_id", "pre_root_id", "neuropil",
    ]  # fmt: skip
    assert _numbered(reordered) == b"100,1,A,2,3,B\n"
    extra = _write(tmp_path, HEADER.replace("\n", ",extra\n") + "1,2,AL_L,3,ACH,x\n", "x.csv")
    assert Reader(extra, CONNECTIONS).csv_columns() is None
    with pytest.raises(NotPlain):
        _numbered(extra)


@pytest.mark.parametrize(
    "rows",
    [
        ['"1",2,AL_L,3,ACH\n'],  # quotes: a quoted field could hold a line break
        ["1,2,AL_L,3,ACH\n", "\n", "2,3,AL_L,4,ACH\n"],  # a blank line is no record here
        ["\n", "2,3,AL_L,4,ACH\n"],
    ],
)
def test_lines_a_csv_parser_could_take_differently_are_not_plain(
    tmp_path: Path, rows: list[str]
) -> None:
    path = _write(tmp_path, HEADER + "".join(rows))
    with pytest.raises(NotPlain):
        _numbered(path)
    assert _read(path)  # which the parser here reads


def test_a_lone_carriage_return_is_not_plain_and_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "connections.csv"
    path.write_bytes((HEADER + ROWS[0] + "1,2,AL_L,3,ACH\r2,3,AL_L,4,ACH\n").encode())
    with pytest.raises(NotPlain):
        _numbered(path)
    with pytest.raises(FormatError, match=r"connections\.csv line 3: not CSV"):
        _read(path)


def test_more_lines_than_numbers_names_the_first_line_without_one(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "".join(ROWS) + ROWS[0])
    with pytest.raises(FormatError, match=r"connections\.csv line 4: more than 2 rows"):
        _numbered(path, range(7, 9))
