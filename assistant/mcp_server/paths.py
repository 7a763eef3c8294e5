"""`AllowedFolders`: the folders an agent may ask the server to index files from.

A path is accepted only when what it leads to lies inside one of the folders: `..` steps and
symbolic links are resolved first, so neither can lead out. A folder is accepted only when
no file inside it is a link that leads out (the readers follow links to files).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import ConfigError, clip
from assistant.ingest.readers import Source, iter_sources

__all__ = ["AllowedFolders"]

# The most links out a refusal names: enough to find them, short enough to read.
_SHOWN = 5


class AllowedFolders:
    """Resolved folders; `check(path)` returns the path to ingest or refuses it."""

    def __init__(self, folders: Iterable[str | os.PathLike[str]]) -> None:
        roots: list[Path] = []
        for folder in folders:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise ConfigError(f"--allow-ingest {folder}: no such folder")
            roots.append(path.resolve())
        if not roots:
            raise ConfigError("--allow-ingest needs at least one folder")
        self.roots = tuple(dict.fromkeys(roots))

    def __repr__(self) -> str:
        return f"AllowedFolders({[str(r) for r in self.roots]})"

    def _inside(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)

    def _describe(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def check(self, given: object) -> Path:
        """The resolved path of `given`, when it and every file under it stay inside the
        allowed folders; else a `ConfigError` that says why. A relative path is taken
        relative to the first allowed folder."""
        if not isinstance(given, str) or not given.strip():
            raise ConfigError(f"each path must be a file or folder name, not {clip(given)}")
        if "\x00" in given:
            raise ConfigError(f"path {clip(given)} contains a NUL character")
        raw = Path(given).expanduser()
        if not raw.is_absolute():
            raw = self.roots[0] / raw
        try:
            resolved = raw.resolve(strict=True)
        except FileNotFoundError:
            raise ConfigError(f"path {clip(given)}: no such file or folder") from None
        except (OSError, RuntimeError) as exc:  # a link loop, a name too long
            raise ConfigError(f"path {clip(given)} cannot be resolved: {exc}") from None
        if not self._inside(resolved):
            # Without following links, is the path inside? Then a link is what leads out.
            linked = self._inside(Path(os.path.normpath(raw)))
            how = "is or passes through a link that leads" if linked else "lies"
            raise ConfigError(
                f"path {clip(given)} {how} outside the folders this server may ingest from "
                f"({self._describe()}); copy the files into one of them"
            )
        if resolved.is_dir():
            escaping = [s for s in iter_sources([resolved]) if self._leads_out(s)]
            if escaping:
                names = ", ".join(repr(s.path) for s in escaping[:_SHOWN])  # type: ignore[union-attr]
                more = f" and {len(escaping) - _SHOWN} more" if len(escaping) > _SHOWN else ""
                raise ConfigError(
                    f"folder {clip(given)} holds links that lead outside the folders this "
                    f"server may ingest from: {names}{more}; remove them, or give the "
                    "other files one by one"
                )
        return resolved

    def _leads_out(self, item: object) -> bool:
        if not isinstance(item, Source):
            return False  # failures are reported by the ingest itself
        try:
            target = Path(item.path).resolve(strict=True)
        except (OSError, RuntimeError):
            return False  # a broken link: the ingest reports it, and reads nothing
        return not self._inside(target)
