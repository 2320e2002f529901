"""Files on disk for wandb-fix: finding them, decoding them as Python does, writing atomically."""

from __future__ import annotations

import difflib
import errno
import fnmatch
import io
import os
import re
import stat
import subprocess
import tempfile
import time
import tokenize
from collections.abc import Iterable, Sequence
from pathlib import Path

from .engine import split_lines

#: folders never walked (files named on the command line are still checked): tool caches,
#: virtual environments and version-control data. Documented in the README.
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "node_modules", ".eggs", "*.egg-info", "site-packages",
    ".ipynb_checkpoints",
)  # fmt: skip

#: what a folder walk takes: Python files and Jupyter notebooks
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")

Skipped = list[tuple[Path, str]]  # (path, why), reported to the user


def _generated_folder(path: Path) -> str | None:
    """Why a folder is output of tools rather than source, or None. A ``wandb/`` folder of runs
    (copies of the code in ``files/code``) and a setuptools ``build/`` (``lib``, ``bdist.*``);
    a package folder that happens to be named ``wandb`` or ``build`` is source and is walked."""
    if path.name not in ("wandb", "build"):
        return None
    try:
        entries = list(os.scandir(path))
    except OSError:
        return None
    names = {e.name for e in entries}
    if "__init__.py" in names:
        return None
    if path.name == "wandb":
        if any(
            n.startswith(("run-", "offline-run-"))
            or n in ("latest-run", "debug.log", "debug-internal.log")
            for n in names
        ):
            return "a wandb run folder (copies of the code of past runs)"
        return None
    if any(n == "lib" or n.startswith(("lib.", "bdist.", "temp.")) for n in names):
        return "setuptools build output"
    return None


class SourceError(Exception):
    """A file that cannot be read or decoded as Python source."""


def is_excluded(path: Path, patterns: Sequence[str]) -> bool:
    """Like flake8's ``--exclude``: a pattern matches a path component or the whole path."""
    text = path.as_posix()
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, f"*/{pattern}"):
            return True
        if any(fnmatch.fnmatch(part, pattern) for part in path.parts):
            return True
    return False


def _git_files(directory: Path) -> set[Path] | None:
    """Paths git does not ignore under ``directory`` (tracked or not), or None outside git. A
    submodule or a nested repository appears as its folder: ``discover`` asks its own git."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return {
        (directory / p.rstrip("/")).resolve()
        for p in proc.stdout.decode("utf-8", "replace").split("\0")
        if p
    }


def _not_regular(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be read (a FIFO would block forever)."""
    try:
        st = os.stat(path)
    except OSError:
        return None  # missing or a dangling link: reported when it is read
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO; skipped"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket; skipped"
    return "not a regular file; skipped"


def discover(
    paths: Iterable[str],
    exclude: Sequence[str] = (),
    use_gitignore: bool = True,
    skipped: Skipped | None = None,
) -> list[Path]:
    """Python files and notebooks under ``paths``. Files named explicitly are always taken
    unless an exclude pattern names them (pre-commit passes files one by one); directories are
    walked without the default and user excludes and, inside a git work tree, without what
    ``.gitignore`` ignores (a submodule or nested repository is walked with its own
    ``.gitignore``). What is left out for another reason than a pattern (a FIFO, an unreadable
    folder, a wandb run folder) is appended to ``skipped`` with the reason. A file reached twice
    (a symlink) is taken once."""
    patterns = tuple(exclude)
    found: list[Path] = []
    seen: set[Path] = set()
    notes: Skipped = skipped if skipped is not None else []

    def take(file: Path, key: Path | None = None) -> None:
        key = key or _real(file)
        if key in seen:
            return
        seen.add(key)
        why = _not_regular(file)
        if why:
            notes.append((file, why))
        else:
            found.append(file)

    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            if not is_excluded(path, patterns):
                take(path)  # a missing file is reported later, not dropped silently
            continue
        allowed = _git_files(path) if use_gitignore else None

        def unreadable(exc: OSError) -> None:
            notes.append(
                (Path(exc.filename or "?"), f"cannot read the folder ({exc.strerror}); skipped")
            )

        for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable):
            base = Path(dirpath)
            keep = []
            for d in sorted(dirnames):
                sub = base / d
                if is_excluded(sub, DEFAULT_EXCLUDES + patterns):
                    continue
                why = _generated_folder(sub)
                if why:
                    notes.append((sub, f"{why}; skipped (name the folder to check it)"))
                    continue
                if allowed is not None and (sub / ".git").exists() and _real(sub) in allowed:
                    allowed |= _git_files(sub) or set()  # a submodule or nested repository
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                file = base / name
                if is_excluded(file, patterns):
                    continue
                real = _real(file)
                if allowed is not None and real not in allowed:
                    continue
                take(file, real)
    return found


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def decode(data: bytes) -> tuple[str, str]:
    """Decode source bytes as Python does (PEP 263 cookie, BOM), keeping the line endings."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"cannot detect the encoding: {exc}") from None
    try:
        ascii_compatible = b"# coding: x\n".decode(encoding) == "# coding: x\n"
    except (LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None
    if not ascii_compatible:  # Python refuses source in UTF-16/32 whatever the cookie says
        raise SourceError(f"the encoding {encoding} is not one Python reads source in")
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def encode_like(data: bytes, old: str, new: str, encoding: str) -> bytes:
    """``new`` (an edit of ``old``, the decoding of ``data``) as bytes in the file's own
    encoding, changed only on the lines the edit changed: every other line keeps its bytes. A
    file whose codec does not give back its own bytes (cp932's NEC characters, utf-7,
    unicode_escape) cannot be written so and raises SourceError; so does an edit that the codec
    cannot encode."""
    why = (
        f"cannot be rewritten byte for byte: its encoding ({encoding}) does not give back the "
        "file's own bytes"
    )
    try:
        if old.encode(encoding) != data:
            raise SourceError(why)
    except UnicodeError:
        raise SourceError(why) from None
    bom = b"\xef\xbb\xbf" if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf") else b""
    body = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM goes first, once
    raw_lines = _LINE.findall(data[len(bom) :])
    old_lines, new_lines = split_lines(old), split_lines(new)
    try:
        decoded = [line.decode(body) for line in raw_lines]
        alone = decoded == old_lines and all(
            text.encode(body) == raw for text, raw in zip(old_lines, raw_lines)
        )
    except UnicodeError:
        alone = False
    if not alone:  # a codec whose lines do not stand alone (stateful): no line can be spliced
        raise SourceError(f"{why} line by line")
    # Every line now encodes alone to its own bytes, so however the lines are matched, a line
    # that did not change is written back as it was read.
    out = [bom]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += raw_lines[i1:i2]
            continue
        try:
            out.append("".join(new_lines[j1:j2]).encode(body))
        except UnicodeError as exc:
            raise SourceError(f"the fix cannot be written in {encoding}: {exc}") from None
    result = b"".join(out)
    if result.decode(encoding, "replace") != new:
        raise SourceError(f"{why} once fixed")
    return result


class ChangedOnDisk(Exception):
    pass


class Unwritable(Exception):
    """A file wandb-fix leaves alone on purpose rather than damage (the message says why)."""


def write_target(path: Path, roots: Sequence[Path]) -> Path:
    """The file a fix of ``path`` is written to: ``path`` itself, or the target of a symlink
    when that lies inside one of ``roots`` (the link stays a link). Raises Unwritable for a
    link out of the tree, a read-only file and a hard-linked file (a rename would split it)."""
    target = path
    if path.is_symlink():
        target = _real(path)
        if not any(_inside(target, root) for root in roots):
            raise Unwritable("a symlink to a file outside the folders being fixed; not written")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        raise ChangedOnDisk("deleted while it was being fixed; not written") from None
    if not st.st_mode & 0o222:
        raise Unwritable("read-only file; not written")
    if st.st_nlink > 1:
        raise Unwritable(
            f"the file has {st.st_nlink} hard links that a rewrite would split; not written"
        )
    return target


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


#: a temp file of ours untouched for this long belongs to a run that was killed (SIGKILL, power
#: loss) mid-write: the first write into its folder removes it
STALE_TEMP_SECONDS = 600
_swept: set[Path] = set()


def _remove_stale_temps(folder: Path) -> None:
    """Once per folder and process: our temp files there that a killed run left behind."""
    if folder in _swept:
        return
    _swept.add(folder)
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".wandb-fix.tmp"):
            try:
                if (
                    entry.is_file(follow_symlinks=False)
                    and now - entry.stat().st_mtime > STALE_TEMP_SECONDS
                ):
                    os.unlink(entry.path)
            except OSError:
                pass


def write_atomic(path: Path, data: bytes, expected_old: bytes) -> None:
    """Write through a temp file in the same folder renamed over the original, keeping its mode,
    owner, POSIX ACLs and extended attributes (a file whose attributes cannot be kept is not
    written): a reader (or a crash) sees the old file or the new one, never half of one. A file
    changed or deleted on disk since it was read is not overwritten; a file whose owner cannot
    be kept (another user's, writable to us) is not written."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ChangedOnDisk("deleted while it was being fixed; not written") from None
    _remove_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".wandb-fix.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if hasattr(os, "chown"):
            tst = os.stat(tmp)
            if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except PermissionError:
                    why = (
                        "owned by another user or group, which a rewrite would change; not written"
                    )
                    raise Unwritable(why) from None
                os.chmod(tmp, st.st_mode & 0o7777)  # chown clears setuid/setgid bits
        _copy_xattrs(path, tmp)
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            raise ChangedOnDisk("deleted while it was being fixed; not written") from None
        if current != expected_old:
            raise ChangedOnDisk("changed on disk while it was being fixed; not written")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _copy_xattrs(src: Path, dst: str) -> None:
    """Give ``dst`` exactly the extended attributes of ``src``: POSIX ACLs
    (``system.posix_acl_access``), ``user.*``, security labels. One that cannot be copied makes
    the file Unwritable: losing a teammate's ACL entry is worse than not fixing the file."""
    if not hasattr(os, "listxattr"):
        return
    try:
        wanted = {name: os.getxattr(src, name) for name in os.listxattr(src)}
        present = set(os.listxattr(dst))
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return  # a file system without extended attributes
        raise Unwritable(
            f"its extended attributes cannot be read ({exc.strerror}); not written"
        ) from None
    for name in sorted(present - set(wanted)):  # e.g. a folder's default ACL, inherited
        try:
            os.removexattr(dst, name)
        except OSError as exc:
            raise Unwritable(
                f"the extended attribute {name} cannot be kept off ({exc.strerror}); not written"
            ) from None
    for name, value in wanted.items():
        try:
            if name in present and os.getxattr(dst, name) == value:
                continue
            os.setxattr(dst, name, value)
        except OSError as exc:
            raise Unwritable(
                f"its extended attribute {name} cannot be kept ({exc.strerror}); not written"
            ) from None
