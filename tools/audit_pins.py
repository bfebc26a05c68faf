"""Known vulnerabilities in the project's pinned dependencies (pyproject.toml: runtime and test pins).

Run by `make test`: .venv/bin/python tools/audit_pins.py [NAME==VERSION ...] (pins given on the command line
are audited instead of the project's, e.g. to see a known vulnerability fail it).

pip-audit asks PyPI's JSON API for each pin's release (https://pypi.org/pypi/NAME/VERSION/json). Where a
registry mirror serves only the project page (NAME/json, whose `vulnerabilities` are those of its latest
release), a pin that is the latest release is audited from that page instead; any other pin is listed as
not audited. Exit codes, so that CI fails on a real finding and never on the network:
  0  no known vulnerability (pins that could not be audited, or an unreachable service, are reported);
  1  a known vulnerability in a pin (each printed with its identifiers and the versions that fix it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 30


@dataclass(frozen=True)
class Finding:
    pin: str
    ids: list[str]
    fixed_in: list[str]


def project_pins() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def _name_version(pin: str) -> tuple[str, str]:
    name, version = pin.split("==")
    return name.split("[")[0].strip(), version.strip()


def pip_audit(pins: list[str]) -> dict[str, Any]:
    """pip-audit's JSON report of ``pins`` (each name==version, no resolution: they are the pins)."""
    with tempfile.TemporaryDirectory(prefix="hizone-audit-") as tmp:
        requirements, report = Path(tmp) / "pins.txt", Path(tmp) / "report.json"
        requirements.write_text("\n".join(pins) + "\n")
        done = subprocess.run([sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps",
                               "--disable-pip", "--vulnerability-service", "pypi", "--format", "json",
                               "--output", str(report), "--progress-spinner", "off", "--timeout", str(TIMEOUT)],
                              capture_output=True, text=True, check=False)
        if not report.is_file():  # pip-audit stopped before auditing: the service or the network failed
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise ConnectionError(lines[-1] if lines else f"pip-audit exited {done.returncode}")
        return json.loads(report.read_text())


def latest_release_vulnerabilities(name: str, version: str) -> list[Finding] | str:
    """The findings for ``name==version`` from the project page when it is the latest release, or why not."""
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=TIMEOUT) as answer:
            page = json.load(answer)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return f"project page unavailable ({exc})"
    latest = page["info"]["version"]
    if latest != version:
        return f"the registry serves no data for this release, and its latest is {latest}"
    return [Finding(f"{name}=={version}", [v["id"], *v.get("aliases", [])], v.get("fixed_in", []))
            for v in page.get("vulnerabilities") or [] if not v.get("withdrawn")]


def audit(pins: list[str]) -> tuple[list[Finding], dict[str, str]]:
    """(findings, pins not audited → why)."""
    report = pip_audit(pins)
    findings: list[Finding] = []
    unaudited: dict[str, str] = {}
    versions = dict(_name_version(pin) for pin in pins)
    for dependency in report["dependencies"]:
        name = dependency["name"]
        version = dependency.get("version") or next((v for n, v in versions.items() if n.lower() == name.lower()), "")
        if "skip_reason" not in dependency:
            findings += [Finding(f"{name}=={version}", [v["id"], *v.get("aliases", [])], v.get("fix_versions", []))
                         for v in dependency["vulns"]]
            continue
        fallback = latest_release_vulnerabilities(name, version)
        if isinstance(fallback, str):
            unaudited[f"{name}=={version}"] = fallback
        else:
            findings += fallback
    unique = {(f.pin, frozenset(f.ids)): f for f in findings}  # PyPI lists a PYSEC and a GHSA entry for one flaw
    return list(unique.values()), unaudited


def main(argv: list[str]) -> int:
    pins = argv or project_pins()
    try:
        findings, unaudited = audit(pins)
    except ConnectionError as exc:
        print(f"audit: NOT RUN: the vulnerability service cannot be reached ({exc})")
        return 0
    for pin, why in sorted(unaudited.items()):
        print(f"audit: not audited: {pin}: {why}")
    for finding in findings:
        fix = ", ".join(finding.fixed_in) or "no fixed release"
        print(f"audit: VULNERABLE: {finding.pin}: {' / '.join(finding.ids)} (fixed in: {fix})")
    print(f"audit: {len(pins)} pins, {len(pins) - len(unaudited)} audited, {len(unaudited)} not auditable here, "
          f"{len(findings)} known vulnerabilities")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
