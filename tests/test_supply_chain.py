"""Supply chain: bandit finds nothing unexplained in portal/, and `make test` runs both scanners."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_finds_nothing_unaccepted():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-c",
            "pyproject.toml",
            "-r",
            "portal",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_accepted_finding_is_explained_in_pyproject():
    config = (ROOT / "pyproject.toml").read_text()
    for path in (ROOT / "portal").rglob("*.py"):
        for line in path.read_text().splitlines():
            for code in re.findall(r"nosec (B\d+)", line):
                relative = path.relative_to(ROOT).as_posix()
                assert re.search(rf"{code}.*{re.escape(relative)}", config), (relative, code)


def test_make_test_runs_bandit_and_pip_audit():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("bandit") for d in extra["test"])
    assert any(d.startswith("pip-audit") for d in extra["test"])
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bsecurity\b", makefile, re.M)
    assert "bandit -q -c pyproject.toml -r portal" in makefile
    assert "pip-audit" in makefile
