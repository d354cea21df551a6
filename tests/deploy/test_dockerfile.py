"""deploy/Dockerfile: it copies what exists and what its .dockerignore lets
through, runs as a user Kubernetes can check is not root, and starts the hub."""

from __future__ import annotations

import fnmatch
import json
import shlex
from pathlib import Path

import pytest

from tests.deploy.parts import DOCKERFILE, ROOT, cli_part, dockerfile_env, unknown_settings

IGNORE = DOCKERFILE.with_name("Dockerfile.dockerignore")


def _instructions(path: Path) -> list[tuple[list[str], str]]:
    """Each instruction's words, and its text after the keyword (for JSON forms)."""
    lines = path.read_text().replace("\\\n", " ").splitlines()
    return [(words, line.split(None, 1)[1]) for line in lines
            if (words := shlex.split(line, comments=True))]


def _kept(source: str, patterns: list[str]) -> bool:
    """Whether the build context keeps ``source`` (the last matching pattern wins)."""
    kept = True
    for pattern in patterns:
        negated, bare = pattern.startswith("!"), pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(source, bare) or source.startswith(bare + "/"):
            kept = negated
    return kept


def dockerfile_problems(dockerfile: Path, ignore: Path, context: Path) -> list[str]:
    patterns = [line.strip() for line in ignore.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    problems = []
    for words, rest in _instructions(dockerfile):
        if words[0] == "COPY" and not any(w.startswith("--from") for w in words):
            for source in (w for w in words[1:-1] if not w.startswith("--")):
                if not (context / source).exists():
                    problems.append(f"COPY {source}: not in the build context")
                elif not _kept(source, patterns):
                    problems.append(f"COPY {source}: left out by {ignore.name}")
        elif words[0] == "USER" and not words[1].split(":")[0].isdigit():
            problems.append(f"USER {words[1]}: runAsNonRoot can check a number only")
        elif words[0] == "CMD":
            try:
                cli_part(json.loads(rest) if rest.startswith("[") else words[1:])
            except ValueError as err:
                problems.append(f"CMD: {err}")
    problems += [f"ENV {n} is not a hub setting"
                 for n in unknown_settings(list(dockerfile_env(dockerfile)))]
    return problems


def test_the_dockerfile_holds_together():
    assert dockerfile_problems(DOCKERFILE, IGNORE, ROOT) == []
    assert dockerfile_env()["HUB_METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize(("old", "new", "ignored", "problem"), [
    ("COPY hub ./hub", "COPY hubs ./hub", "", "COPY hubs: not in the build context"),
    ("", "", "hub/\n", "COPY hub: left out by Dockerfile.dockerignore"),
    ("USER 65534:65534", "USER nobody", "", "USER nobody: runAsNonRoot"),
    ('CMD ["hub", "gateway"]', 'CMD ["hub", "gate"]', "", "CMD: hub gate: the hub CLI has no"),
    ("HUB_METRICS_HOST=", "HUB_METRICS_ADDR=", "", "ENV HUB_METRICS_ADDR is not a hub setting"),
])
def test_a_broken_dockerfile_is_refused_with_the_reason(tmp_path, old, new, ignored, problem):
    dockerfile, ignore = tmp_path / "Dockerfile", tmp_path / "Dockerfile.dockerignore"
    text = DOCKERFILE.read_text()
    assert old in text
    dockerfile.write_text(text.replace(old, new))
    ignore.write_text(IGNORE.read_text() + ignored)
    problems = dockerfile_problems(dockerfile, ignore, ROOT)
    assert any(p.startswith(problem) for p in problems), problems
