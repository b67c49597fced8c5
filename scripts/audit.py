"""Check the locked dependencies for known vulnerabilities, and say honestly what was checked.

    .venv-tools/bin/python scripts/audit.py requirements/lock.txt [extra pip-audit arguments]

(``make audit`` runs this with the tools venv that has pip-audit.) pip-audit itself prints "No known
vulnerabilities found" and exits 0 even when it could not look a single package up (each one
"skipped": the vulnerability service was unreachable or did not know it). This wrapper runs
pip-audit with JSON output and reports:

- exit 0: every package of the lock file was checked and none has a known vulnerability;
- exit 1: known vulnerabilities were found (listed);
- exit 2: the check could not be made, or not for every package: never reported as clean.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

CLEAN, VULNERABLE, NOT_CHECKED = 0, 1, 2
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages(lock: Path) -> dict[str, str]:
    """name -> version of every ``name==version`` line of the lock file."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def run_pip_audit(lock: Path, extra: list[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(lock), "--require-hashes",
               "--disable-pip", "--format", "json", "--progress-spinner", "off", *extra]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:400] if lines else "(no message)"


def report(lock: Path, extra: list[str]) -> int:
    pins = locked_packages(lock)
    print(f"audit: {len(pins)} packages pinned in {lock}; asking pip-audit {' '.join(extra)}".rstrip())
    result = run_pip_audit(lock, extra)
    try:
        audit = json.loads(result.stdout)
        dependencies = audit["dependencies"]
    except (ValueError, KeyError, TypeError):
        print(f"audit: COULD NOT CHECK {lock} for known vulnerabilities: pip-audit failed "
              f"(exit {result.returncode}): {last_error_line(result.stderr)}")
        print("audit: this is NOT a clean result; nothing was checked.")
        return NOT_CHECKED

    checked = {canonical(d["name"]): d for d in dependencies if "skip_reason" not in d}
    skipped = {canonical(d["name"]): d["skip_reason"] for d in dependencies if "skip_reason" in d}
    for name in pins.keys() - checked.keys() - skipped.keys():
        skipped[name] = "not in pip-audit's answer"
    vulnerable = {name: d["vulns"] for name, d in checked.items() if d.get("vulns")}
    print(f"audit: checked {len(checked)} of {len(pins)} packages; not checked: {len(skipped)}")

    for name, vulns in sorted(vulnerable.items()):
        for vuln in vulns:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            aliases = ", ".join(vuln.get("aliases") or [])
            print(f"  VULNERABLE {name} {checked[name]['version']}: {vuln['id']}"
                  f"{f' ({aliases})' if aliases else ''}; fixed in: {fixes}")
    if vulnerable:
        count = sum(len(v) for v in vulnerable.values())
        print(f"audit: {count} known vulnerabilit{'y' if count == 1 else 'ies'} in {len(vulnerable)} package(s).")
    if skipped:
        first = sorted(skipped)[0]
        print(f"audit: COULD NOT CHECK {len(skipped)} of {len(pins)} packages for known vulnerabilities "
              f"(e.g. {first}: {skipped[first]})")
        print("audit: this is NOT a clean result: the vulnerability service was not reachable or did not "
              "answer for these packages.")
    if vulnerable:
        return VULNERABLE
    if skipped or not checked:
        return NOT_CHECKED
    print(f"audit: no known vulnerabilities in the {len(checked)} packages of {lock}.")
    return CLEAN


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return NOT_CHECKED
    lock = Path(argv[0])
    if not lock.is_file():
        print(f"audit: {lock} does not exist")
        return NOT_CHECKED
    return report(lock, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
