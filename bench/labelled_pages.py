"""Where the pages of the hand-labelled set (``tests/labelled/real/*.json``) come from.

No article HTML is kept in this repository. Each labelled file names its page by a
``source`` string, and :func:`resolve` turns that string into the page's bytes when the
page is on this machine:

``corpus:html/NAME``
    a file of the shared corpus, ``<repo root>/../shared/corpus/html/NAME``.
``repo:OWNER/NAME@COMMIT:PATH``
    a file of a public repository at one commit, read with ``git show COMMIT:PATH``
    from a bare git directory under the mirror root (``/work/.mirror`` or the
    directory named by ``ARCHIVE_LABELLED_MIRROR``), whose name starts with
    ``OWNER+NAME`` (the fetch tool lays them out as ``OWNER+NAME/repo``).

``resolve`` returns ``None`` when the page is not available, so a bench or test can
skip the pages it cannot read. Run ``python bench/labelled_pages.py`` to count how many
labelled pages resolve here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_ROOT = REPO_ROOT.parent / "shared" / "corpus"
LABELLED_DIR = REPO_ROOT / "tests" / "labelled" / "real"
DEFAULT_MIRROR = Path("/work/.mirror")
MIRROR_ENV = "ARCHIVE_LABELLED_MIRROR"


@dataclass(frozen=True)
class RepoSource:
    """A file of a public repository at one commit."""

    owner: str
    name: str
    commit: str
    path: str


def parse_repo_source(source: str) -> RepoSource | None:
    """Split ``repo:OWNER/NAME@COMMIT:PATH``; ``None`` when ``source`` is not of that form.

    >>> parse_repo_source("repo:mozilla/readability@" + "a" * 40 + ":test/test-pages/bbc-1/source.html")
    RepoSource(owner='mozilla', name='readability', commit='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', path='test/test-pages/bbc-1/source.html')
    >>> parse_repo_source("repo:mozilla/readability:test/x.html") is None
    True
    >>> parse_repo_source("corpus:html/x.html") is None
    True
    """
    if not source.startswith("repo:"):
        return None
    spec, sep, path = source[len("repo:"):].partition(":")
    repo, at, commit = spec.partition("@")
    owner, slash, name = repo.partition("/")
    if not (sep and at and slash and owner and name and path and "/" not in name):
        return None
    if len(commit) != 40 or any(c not in "0123456789abcdefABCDEF" for c in commit):
        return None
    return RepoSource(owner, name, commit.lower(), path)


def corpus_path(source: str, root: Path = CORPUS_ROOT) -> Path | None:
    """The file a ``corpus:`` source names, or ``None`` for another kind of source.

    >>> corpus_path("corpus:html/readability__cnn.source.html", Path("/c")).as_posix()
    '/c/html/readability__cnn.source.html'
    >>> corpus_path("corpus:../etc/passwd", Path("/c")) is None
    True
    """
    if not source.startswith("corpus:"):
        return None
    rel = source[len("corpus:"):]
    parts = Path(rel).parts
    if not rel or Path(rel).is_absolute() or ".." in parts:
        return None
    return root / rel


def mirror_roots() -> list[Path]:
    """The directories searched for bare git mirrors: the env var's first, then the default."""
    roots = []
    extra = os.environ.get(MIRROR_ENV)
    if extra:
        roots.append(Path(extra))
    roots.append(DEFAULT_MIRROR)
    return roots


def find_git_dirs(owner: str, name: str) -> list[Path]:
    """Bare git directories of ``owner/name`` under the mirror roots (``OWNER+NAME*``)."""
    found: list[Path] = []
    for root in mirror_roots():
        if not root.is_dir():
            continue
        for top in sorted(root.glob(f"{owner}+{name}*")):
            for cand in (top, top / "repo"):
                if (cand / "HEAD").is_file() and (cand / "objects").is_dir() and cand not in found:
                    found.append(cand)
    return found


def resolve(source: str) -> bytes | None:
    """The bytes of the page ``source`` names, or ``None`` when it is not on this machine."""
    path = corpus_path(source)
    if path is not None:
        try:
            return path.read_bytes()
        except OSError:
            return None
    spec = parse_repo_source(source)
    if spec is None:
        return None
    for git_dir in find_git_dirs(spec.owner, spec.name):
        try:
            done = subprocess.run(
                ["git", f"--git-dir={git_dir}", "show", f"{spec.commit}:{spec.path}"],
                capture_output=True,
                check=False,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return done.stdout
    return None


def labelled_files(directory: Path = LABELLED_DIR) -> list[Path]:
    """The labelled page files, sorted by name."""
    return sorted(directory.glob("*.json"))


def main() -> int:
    """Print how many labelled pages resolve on this machine, and which do not."""
    files = labelled_files()
    missing = []
    for f in files:
        source = json.loads(f.read_text(encoding="utf-8"))["source"]
        if resolve(source) is None:
            missing.append(f"{f.name}: {source}")
    print(f"{len(files) - len(missing)} of {len(files)} labelled pages resolve")
    for line in missing:
        print(f"  missing {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
