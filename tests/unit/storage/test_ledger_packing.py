"""The ledger's documents: compressed here, or kept as the package entry's own deflate stream
when the import wrote exactly the entry's bytes; both read back as the same text."""

from __future__ import annotations

import zlib

from jobferry.storage.importing.ledger import DEFLATE_MARK, pack, pack_encoded, pack_source, unpack

TEXT = '{"name":"job_a","nodes":[{"name":"n","type":"DWSSQL"}],"note":"é"}' * 10


def entry_of(text: str) -> tuple[bytes, bytes]:
    """The bytes of a zip entry holding ``text`` and its raw deflate stream."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = text.encode()
    return data, deflater.compress(data) + deflater.flush()


def test_a_definition_written_as_its_entry_held_it_keeps_the_entrys_stream() -> None:
    entry = entry_of(TEXT)
    stored = pack_encoded(TEXT.encode(), entry)
    assert stored == DEFLATE_MARK + entry[1]
    assert unpack(stored) == TEXT


def test_a_definition_the_import_changed_is_compressed_here() -> None:
    changed = TEXT.replace("job_a", "job_b")
    stored = pack_encoded(changed.encode(), entry_of(TEXT))
    assert stored[:1] != DEFLATE_MARK
    assert zlib.decompress(stored).decode() == changed
    assert unpack(stored) == changed


def test_zlib_streams_never_start_with_the_mark() -> None:
    # A zlib stream's first byte names the deflate method in its low four bits (8).
    for level in range(10):
        assert zlib.compress(b"x" * 100, level)[:1] != DEFLATE_MARK
    assert unpack(pack(TEXT)) == TEXT
    assert pack_source(TEXT, TEXT) == b""


def test_a_source_a_transform_changed_keeps_the_entrys_stream() -> None:
    entry = entry_of(TEXT)
    written = TEXT.replace("job_a", "job_b")
    assert pack_source(TEXT, written, entry) == DEFLATE_MARK + entry[1]
    assert unpack(pack_source(TEXT, written)) == TEXT
