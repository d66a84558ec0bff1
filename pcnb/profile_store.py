"""The profile in use by a workspace, and the last good one when its file goes wrong.

The file is read again whenever it changed since it was read or written (a hand edit needs no
``profile reload``). A file that fails to parse or validate is refused (pcnb.profile_file names the
line and the fix) and the last good profile stays in use: the one in memory, or, in a process
that never read a good one (the console script runs one process per command), the copy written
beside the file each time a profile was read or saved whole (``<cache>.profile.last-good.yaml``).
The refusal is kept (``refused``) so every chart and report can say that an older profile drew it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pcnb import profile_file
from pcnb.profile import ProfileError, ProgramProfile


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class ProfileFile:
    """``get`` the profile in use, ``save`` one, ``reload`` the file (refusals raise there)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.good_path = self.path.with_name(self.path.name.removesuffix(".yaml") + ".last-good.yaml")
        self.profile: ProgramProfile | None = None
        self.refused: str | None = None  # why the file is not the profile in use (None: it is)
        self.refused_at: str = ""  # the short form for a figure: "line 12, calendar.country"
        self._stamp: tuple[int, int] | None = None

    def get(self, infer: Callable[[], ProgramProfile]) -> ProgramProfile:
        """The profile in use: the file's when it changed since last read (or the last good one,
        when it is refused), else the one in memory, else ``infer()`` (no file yet)."""
        stamp = _stamp(self.path)
        if stamp is not None and stamp != self._stamp:
            try:
                self._read(stamp)
            except ProfileError as exc:
                fallback = self.profile or self._last_good()
                if fallback is None:
                    raise  # nothing good to fall back on: every caller sees the refusal
                self.profile, self._stamp = fallback, stamp  # not read again until it changes
                self._refuse(exc)
        if self.profile is None:
            self.profile = infer()
        return self.profile

    def reload(self) -> ProgramProfile:
        """Read the file now; a refused file raises (the last good profile stays in use)."""
        stamp = _stamp(self.path)
        if stamp is None:
            raise ProfileError(f"there is no profile file at {self.path}",
                               "run `%powerclerk profile infer` to infer and save one")
        try:
            return self._read(stamp)
        except ProfileError as exc:
            self.profile = self.profile or self._last_good()
            if self.profile is not None:
                self._stamp = stamp
                self._refuse(exc)
            raise

    def save(self, prof: ProgramProfile) -> Path:
        """Write ``prof`` (validated first: a wrong profile is refused, not saved) and use it."""
        prof.save(self.path)
        self.use(prof)
        self._stamp, self.refused = _stamp(self.path), None
        self._keep()
        return self.path

    def use(self, prof: ProgramProfile) -> None:
        """Use ``prof`` without saving it (the file, if any, is read again only once it changes)."""
        self.profile = prof
        if self._stamp is None:
            self._stamp = _stamp(self.path)

    def _read(self, stamp: tuple[int, int]) -> ProgramProfile:
        prof = ProgramProfile.load(self.path)
        self.profile, self._stamp, self.refused, self.refused_at = prof, stamp, None, ""
        self._keep()
        return prof

    def _refuse(self, exc: ProfileError) -> None:
        self.refused = str(exc)
        self.refused_at = ", ".join(x for x in (f"line {exc.line}" if exc.line else "", exc.key) if x)

    def _keep(self) -> None:
        """The last good copy: the file as just read or written whole."""
        try:
            text = self.path.read_text(encoding="utf-8")
            if not self.good_path.exists() or self.good_path.read_text(encoding="utf-8") != text:
                self.good_path.write_text(text, encoding="utf-8")
        except OSError:
            pass  # a read-only directory: the copy in memory still serves this process

    def _last_good(self) -> ProgramProfile | None:
        if not self.good_path.exists():
            return None
        try:
            return profile_file.read(self.good_path, ProgramProfile.from_dict)
        except ProfileError:
            return None

    def caveats(self) -> list[str]:
        """What a figure drawn from this profile must say about it (one short line each)."""
        if not self.refused:
            return []
        at = f" ({self.refused_at})" if self.refused_at else ""
        return [f"profile file refused{at}: the last good profile drew this; `%powerclerk profile reload` "
                "says why"]
