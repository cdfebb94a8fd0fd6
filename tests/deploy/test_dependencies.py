"""Reproducible installs: constraints.txt pins every dependency within setup.cfg's bounds, and nothing is unused."""
import configparser
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]

# Dependencies no module imports, and why they are needed all the same.
USED_WITHOUT_IMPORT = {
    "nx-27017": "the MongoDB wire server of `make dev` and the tests, started as a program",
    "pytest-flask": "pytest plugin: pushes a request context for tests that use the app fixture",
    "pytest-xdist": "pytest plugin: `make test` runs the suite in two test processes (-n)",
    "ruff": "make lint",
    "rq-dashboard": "the RQ dashboard an operator runs in a worker pod (docs/operations.md)",
}


def requirements() -> dict[str, list[Requirement]]:
    """setup.cfg's install_requires and extras, by group."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")

    def parse(text):
        return [Requirement(line) for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]

    groups = {"install_requires": parse(parser["options"]["install_requires"])}
    for extra, text in parser["options.extras_require"].items():
        groups[extra] = parse(text)
    return groups


def constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins exact versions only: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


ALL_REQUIREMENTS = [req for reqs in requirements().values() for req in reqs]


@pytest.mark.parametrize("requirement", ALL_REQUIREMENTS, ids=str)
def test_constraints_pin_every_dependency_within_its_bounds_and_this_venv_has_that_version(requirement):
    pins = constraints()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} is not pinned in constraints.txt (make constraints)"
    assert requirement.specifier.contains(pins[name], prereleases=True), \
        f"constraints.txt pins {requirement.name}=={pins[name]}, outside setup.cfg's {requirement.specifier}"
    assert metadata.version(requirement.name) == pins[name], "make install installs the pinned version"


def test_only_cryptography_and_packaging_go_without_an_upper_bound():
    uncapped = {req.name for req in requirements()["install_requires"]
                if not any(spec.operator in ("<", "<=", "==", "~=") for spec in req.specifier)}
    # cryptography and packaging: routine major releases that keep what we use (setup.cfg says so).
    assert uncapped == {"cryptography", "packaging"}


def build_requirements() -> list[Requirement]:
    """pyproject.toml's build-system requirements: what pip installs in the isolated environment that builds us."""
    return [Requirement(text) for text in tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]]


@pytest.mark.parametrize("requirement", build_requirements(), ids=str)
def test_constraints_pin_every_build_requirement_within_pyproject_bounds(requirement):
    pins = constraints()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} (pyproject.toml's build-system) is not pinned in constraints.txt"
    assert requirement.specifier.contains(pins[name]), \
        f"constraints.txt pins {requirement.name}=={pins[name]}, outside pyproject.toml's {requirement.specifier}"


def test_image_and_make_install_use_the_constraints_for_the_install_and_the_build():
    dockerfile = (REPO / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs and all("-c constraints.txt" in line for line in installs)
    assert "COPY constraints.txt" in dockerfile
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\):.*constraints\.txt", makefile, re.MULTILINE)
    # pip gives -c only to what it installs: the package's own build gets its pins from --build-constraint.
    # (`make constraints` alone resolves afresh, in .constraints-venv.)
    builds = [line for line in dockerfile.splitlines() + makefile.splitlines()
              if "pip install" in line and re.search(r" (-e )?'\.\[", line) and ".constraints-venv" not in line]
    assert len(builds) == 2
    assert all("-c constraints.txt --build-constraint constraints.txt" in line for line in builds)
    # `make constraints` freezes the build requirements too (a fresh venv holds only Python's bundled setuptools).
    recipe = makefile.split("\nconstraints:\n", 1)[1].split("\n\n", 1)[0]
    first_install = next(line for line in recipe.splitlines() if "pip install" in line)
    assert all(f" {req.name}" in first_install for req in build_requirements())


def test_image_copies_what_the_package_metadata_reads_before_it_installs_the_package():
    """setup.cfg's license_files and long_description are read while the image builds the package: a file
    the Dockerfile has not copied yet is left out of the package without an error (the licence was)."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    needed = parser["metadata"]["license_files"].split() + [parser["metadata"]["long_description"].split("file:")[1]
                                                             .strip()]
    lines = (REPO / "Dockerfile").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "pip install" in line and "'.[" in line)
    copied = {source for line in lines[:install] if line.startswith("COPY ") for source in line.split()[1:-1]}
    assert set(needed) <= copied, f"copy {sorted(set(needed) - copied)} before the install"
    assert all((REPO / name).is_file() for name in needed)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_build_context():
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".pc-dev", ".env", ".env.*", "tests"} <= ignored
    # What the Dockerfile copies must stay in the context.
    copied = {part for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
              for part in line.split()[1:-1]}
    assert not copied & ignored


def imported_top_level_names() -> set[str]:
    names = set()
    for folder in ("pc_app", "plugins", "tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            names.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.MULTILINE))
    for path in (REPO / "gunicorn.conf.py", REPO / "wsgi.py"):
        names.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.MULTILINE))
    return names


@pytest.mark.parametrize("requirement", ALL_REQUIREMENTS, ids=str)
def test_no_unused_dependency(requirement):
    if requirement.name in USED_WITHOUT_IMPORT:
        return
    provided = {name for name, dists in metadata.packages_distributions().items()
                if canonicalize_name(requirement.name) in {canonicalize_name(d) for d in dists}}
    assert provided & imported_top_level_names(), \
        f"nothing imports {requirement.name} ({sorted(provided)}): drop it or say why in USED_WITHOUT_IMPORT"


def test_license_file_matches_setup_cfg_and_the_changelog_exists():
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    assert parser["metadata"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")
    assert (REPO / "CHANGELOG.md").read_text().startswith("# Changelog\n")
