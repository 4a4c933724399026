"""Atomic file writes and line-numbered JSONL reading.

Nothing bertology writes is ever left half-written: files are written under a temporary name
in the same directory and then renamed (``os.replace`` is atomic on POSIX). Directories (model
checkpoints, exported models) are built under a temporary name and renamed when complete.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bertology.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the hidden ``.NAME.*.tmp*`` files and directories that interrupted atomic writes
    left anywhere under ``directory`` (a command calls this on its own run directory when it
    starts; nothing else matches the pattern). Returns what was removed, in path order."""
    removed = []
    for p in sorted(Path(directory).rglob(".*.tmp*")):
        if not p.exists():  # inside a stale directory removed just before
            continue
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
        removed.append(p)
    return removed


def new_temp_dir(beside: Path) -> Path:
    """A hidden temporary directory ``.NAME.*.tmp`` next to ``beside``, with the permissions
    of an ordinary directory (mkdtemp makes 0700)."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{beside.name}.", suffix=".tmp", dir=beside.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def _tmp_sibling(path: Path, suffix: str = "") -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file ordinary permissions
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """An ``OSError`` without a file name (a full disk or a file-size limit hit during
    ``write``) gets ``path``, so the CLI's one-line message says where it happened. The I/O
    errors of Rust writers (safetensors, tokenizers: ``... (os error 28)``) become such an
    ``OSError`` too, instead of a library traceback."""
    try:
        yield
    except OSError as e:
        if e.filename is None:
            raise OSError(e.errno, e.strerror or str(e), str(path)) from e
        raise
    except Exception as e:
        code = re.search(r"\(os error (\d+)\)", str(e))
        if code is None:
            raise
        errno = int(code.group(1))
        raise OSError(errno, os.strerror(errno), str(path)) from e


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary sibling, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path)
    try:
        with naming(path), open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    # numpy / torch scalars and arrays, paths
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Serialise to strict JSON: NaN/inf become ``null`` so any JSON reader accepts the file."""
    return json.dumps(_finite(obj), indent=indent, default=_json_default, ensure_ascii=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def atomic_write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON atomically."""
    return atomic_write_text(path, to_json(obj, indent=indent) + "\n")


def atomic_write_jsonl(path: str | Path, rows: Iterable[Any]) -> Path:
    """Write one JSON object per line, atomically."""
    return atomic_write_text(path, "".join(to_json(r, indent=None) + "\n" for r in rows))


def swap_directory(new: Path, path: Path) -> None:
    """Put the directory ``new`` at ``path``, replacing what is there; if the final rename
    fails, the old tree is put back under its name."""
    if path.exists():
        old = path.with_name(f".{path.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
        try:
            os.replace(new, path)
        except BaseException:
            os.replace(old, path)  # put the old tree back under its name
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, path)


@contextlib.contextmanager
def atomic_directory(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name; rename it to ``path`` only on success.

    >>> with atomic_directory("out/ckpt-100") as tmp:   # doctest: +SKIP
    ...     model.save_pretrained(tmp)

    If the block raises, the temporary directory is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        with naming(path):
            yield tmp
        swap_directory(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def iter_text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` of a UTF-8 text file, without line endings.

    A UTF-8 byte-order mark is dropped. Errors name the file and, for a byte that is not
    UTF-8, the line and the column: ``facts.jsonl:12: not UTF-8 (byte 0xE9 at column 7)``.
    A directory where a file is expected is an error too.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a directory; expected a file", path)
    if not path.exists():
        raise InputError("file not found", path)
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                col = len(raw[: e.start].decode("utf-8", errors="replace")) + 1
                raise InputError(
                    f"not UTF-8 (byte 0x{raw[e.start]:02X} at column {col})", path, lineno
                ) from None
            yield lineno, text.rstrip("\r\n")


def read_json(path: str | Path) -> Any:
    """A JSON file; a missing, non-UTF-8 or malformed one is an error naming the file and
    the line (a run's ``results.json``, a model's ``config.json``)."""
    text = "".join(line + "\n" for _, line in iter_text_lines(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"malformed JSON ({e.msg})", path, e.lineno) from None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSONL file.

    A line that is not a JSON object raises :class:`InputError` naming the file and line.
    """
    for lineno, line in iter_text_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(
                f"expected a JSON object, got malformed JSON ({e.msg})", path, lineno
            ) from None
        if not isinstance(obj, dict):
            raise InputError(f"expected a JSON object, got {type(obj).__name__}", path, lineno)
        yield lineno, obj


class JsonlAppender:
    """Streams JSON lines to a file (``metrics.jsonl``), flushed per line.

    Each line is written whole with one ``write`` call, so a crash leaves at most the lines
    already written; nothing earlier is lost.
    """

    def __init__(self, path: str | Path, append: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115 - long-lived stream

    def write(self, row: dict[str, Any]) -> None:
        with naming(self.path):
            self._f.write(to_json(row, indent=None) + "\n")
            self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
