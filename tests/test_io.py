"""Atomic writes: a failed write leaves the old file or directory as it was, and no debris."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bertology import io
from bertology.errors import InputError
from bertology.io import atomic_directory, atomic_write_bytes, atomic_write_json, read_jsonl


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def test_atomic_write_replaces_the_file_with_ordinary_permissions(tmp_path: Path) -> None:
    """Guards the success path: new content, no temporary file left, mode 0666 & ~umask
    (``mkstemp`` alone would leave 0600)."""
    target = tmp_path / "results.json"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert _listing(tmp_path) == ["results.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_failed_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """Guards atomicity: when the write fails half-way (``fsync`` raising, or the disk filling
    after part of the data), the old content is unchanged and no temporary file remains.
    Writing in place would leave a truncated or empty file."""
    target = tmp_path / "results.json"
    target.write_bytes(b"old content")

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "fsync":
        monkeypatch.setattr(io.os, "fsync", boom)
    else:
        real_open = open

        def open_failing(path: str, mode: str = "r") -> Any:
            f = real_open(path, mode)
            real_write = f.write

            def write(data: bytes) -> int:
                real_write(data[: len(data) // 2])
                f.flush()
                boom()
                return 0

            f.write = write
            return f

        monkeypatch.setattr(io, "open", open_failing, raising=False)  # shadows the builtin
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new content that is longer")
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert _listing(tmp_path) == ["results.json"]


def test_failed_rename_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the rename being the only step that touches the target."""
    target = tmp_path / "results.json"
    target.write_bytes(b"old content")

    def boom(*args: object) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError, match="rename failed"):
        atomic_write_json(target, {"a": 1})
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert _listing(tmp_path) == ["results.json"]


def _existing_dir(tmp_path: Path) -> Path:
    target = tmp_path / "ckpt"
    (target / "sub").mkdir(parents=True)
    (target / "model.bin").write_bytes(b"old weights")
    (target / "sub" / "config.json").write_bytes(b"{}")
    return target


def test_atomic_directory_replaces_an_existing_target_on_success(tmp_path: Path) -> None:
    """Guards the success path: the new tree replaces the old one entirely, no debris."""
    target = _existing_dir(tmp_path)
    with atomic_directory(target, overwrite=True) as tmp:
        assert tmp != target and tmp.parent == target.parent
        (tmp / "model.bin").write_bytes(b"new weights")
    assert _tree(target) == {"model.bin": b"new weights"}
    assert _listing(tmp_path) == ["ckpt"]


def test_atomic_directory_leaves_an_existing_target_untouched_when_the_block_fails(
    tmp_path: Path,
) -> None:
    """Guards atomicity of directories: a save that raises half-way leaves the old
    checkpoint as it was and removes the temporary directory."""
    target = _existing_dir(tmp_path)
    before = _tree(target)
    with (
        pytest.raises(RuntimeError, match="save failed"),
        atomic_directory(target, overwrite=True) as tmp,
    ):
        (tmp / "model.bin").write_bytes(b"half")
        raise RuntimeError("save failed")
    assert _tree(target) == before
    assert _listing(tmp_path) == ["ckpt"]


def test_atomic_directory_leaves_an_existing_target_when_the_final_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the swap: if moving the new tree into place fails after the old one was moved
    aside, the old tree is put back under its name."""
    target = _existing_dir(tmp_path)
    before = _tree(target)
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        if ".tmp" in Path(str(src)).name:
            raise OSError("rename failed")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(io.os, "replace", replace)
    with (
        pytest.raises(OSError, match="rename failed"),
        atomic_directory(target, overwrite=True) as tmp,
    ):
        (tmp / "model.bin").write_bytes(b"new weights")
    monkeypatch.undo()
    assert _tree(target) == before
    assert _listing(tmp_path) == ["ckpt"]


def test_atomic_directory_refuses_an_existing_target_without_overwrite(tmp_path: Path) -> None:
    """Guards ``overwrite=False``: an existing directory is neither replaced nor touched."""
    target = _existing_dir(tmp_path)
    before = _tree(target)
    with pytest.raises(FileExistsError), atomic_directory(target) as tmp:
        (tmp / "model.bin").write_bytes(b"new")
    assert _tree(target) == before
    assert _listing(tmp_path) == ["ckpt"]


def test_read_jsonl_names_the_file_and_line(tmp_path: Path) -> None:
    """Guards the line numbers of malformed JSONL (blank lines still count)."""
    path = tmp_path / "facts.jsonl"
    path.write_text('{"a": 1}\n\n[1, 2]\n')
    with pytest.raises(InputError) as err:
        list(read_jsonl(path))
    assert f"{path}:3" in str(err.value)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_atomic_writes_leave_no_file_descriptor_open(tmp_path: Path) -> None:
    """A long run writes thousands of files: each write closes every descriptor it opened."""
    before = _open_fds()
    for i in range(20):
        atomic_write_bytes(tmp_path / f"f{i}.bin", b"x" * i)
    assert _open_fds() == before


def test_atomic_write_creates_missing_parent_directories(tmp_path: Path) -> None:
    """Writing into a directory that does not exist yet creates it (nested), and a second
    write into the now existing directory works too."""
    target = tmp_path / "a" / "b" / "c.json"
    atomic_write_json(target, {"x": 1})
    atomic_write_json(target.with_name("d.json"), {"y": 2})
    assert target.read_text() == '{\n  "x": 1\n}\n'
    assert _listing(target.parent) == ["c.json", "d.json"]


def test_data_is_on_the_file_when_it_is_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durability: at the fsync before the rename, the file already holds all the data (a
    buffered write not yet flushed would make fsync sync an empty file)."""
    sizes: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        sizes.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    atomic_write_bytes(tmp_path / "f.bin", b"0123456789")
    assert sizes == [10]


def test_an_error_after_the_rename_is_not_masked_by_the_cleanup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename succeeds and then an error (an interrupt) arrives, the caller sees that
    error, not a cleanup error about the temporary file that is already gone."""
    real_replace = os.replace

    def replace_then_interrupt(src: Any, dst: Any) -> None:
        real_replace(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "f.bin", b"new")
    assert (tmp_path / "f.bin").read_bytes() == b"new"


def test_json_keeps_non_ascii_text_readable(tmp_path: Path) -> None:
    """Objects such as ``São Paulo`` are written as UTF-8 text, not ``\\u`` escapes."""
    path = atomic_write_json(tmp_path / "r.json", {"object": "São Paulo", "v": float("nan")})
    text = path.read_text(encoding="utf-8")
    assert '"São Paulo"' in text and "\\u" not in text and '"v": null' in text


def test_atomic_directory_creates_nested_parents_with_ordinary_permissions(tmp_path: Path) -> None:
    """The built directory gets 0o777 minus the umask (mkdtemp's 0o700 would hide a
    checkpoint from the rest of a group), under parents created on the way."""
    mask = os.umask(0o022)
    try:
        target = tmp_path / "runs" / "x" / "ckpt"
        with atomic_directory(target) as tmp:
            (tmp / "w.bin").write_bytes(b"w")
    finally:
        os.umask(mask)
    assert (target.stat().st_mode & 0o7777) == 0o755
    assert (target / "w.bin").read_bytes() == b"w"


def test_atomic_directory_overwrites_despite_a_stale_old_tree(tmp_path: Path) -> None:
    """A crash can leave ``.NAME.old`` behind; the next overwrite still succeeds, and no
    ``.old`` tree remains afterwards."""
    target = tmp_path / "export"
    target.mkdir()
    (target / "a").write_bytes(b"old")
    stale = tmp_path / ".export.old"
    stale.mkdir()
    (stale / "junk").write_bytes(b"junk")
    with atomic_directory(target, overwrite=True) as tmp:
        (tmp / "a").write_bytes(b"new")
    assert _tree(target) == {"a": b"new"}
    assert _listing(tmp_path) == ["export"]


def test_atomic_directory_replaces_a_symlinked_target_and_leaves_its_destination(
    tmp_path: Path,
) -> None:
    """A target that is a symlink to a directory is replaced by the new tree; the directory it
    pointed to is left untouched and the overwrite does not fail while tidying up."""
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "a").write_bytes(b"keep")
    link = tmp_path / "export"
    link.symlink_to(real, target_is_directory=True)
    with atomic_directory(link, overwrite=True) as tmp:
        (tmp / "a").write_bytes(b"new")
    assert not link.is_symlink() and _tree(link) == {"a": b"new"}
    assert _tree(real) == {"a": b"keep"}


def test_atomic_directory_reports_the_block_error_even_if_the_block_removed_its_tree(
    tmp_path: Path,
) -> None:
    """The caller's own error propagates even when the temporary tree is already gone."""
    import shutil

    with pytest.raises(RuntimeError, match="boom"), atomic_directory(tmp_path / "out") as tmp:
        shutil.rmtree(tmp)
        raise RuntimeError("boom")
    assert _listing(tmp_path) == []


def test_jsonl_appender_creates_parents_and_is_closed_after_use(tmp_path: Path) -> None:
    """The metrics stream creates its directory, flushes each row, and after ``close`` (or the
    ``with`` block) refuses further rows instead of appending to a finished file."""
    path = tmp_path / "run" / "logs" / "metrics.jsonl"
    with io.JsonlAppender(path) as out:
        out.write({"step": 1, "loss": 2.5})
        assert path.read_text() == '{"step": 1, "loss": 2.5}\n'
    with pytest.raises(ValueError):
        out.write({"step": 2})
    again = io.JsonlAppender(path)
    again.write({"step": 2})
    again.close()
    again.close()  # closing twice is harmless
    with pytest.raises(ValueError):
        again.write({"step": 3})
    assert [r for _, r in read_jsonl(path)] == [{"step": 1, "loss": 2.5}, {"step": 2}]


def test_writing_leaves_the_process_umask_as_it_was(tmp_path: Path) -> None:
    """Reading the umask (set and restore) must restore it: later files keep their permissions."""
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "a.txt", b"x")
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)
