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
