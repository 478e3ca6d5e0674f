"""Everything CI runs, as nox sessions: ``nox -l`` lists them, ``nox -s NAME`` runs one.

CI (``.ci/run``) runs the same sessions, so a contributor reproduces a CI
failure with the session's name. A Python that is not on ``PATH`` (as
``python3.X``) is skipped locally and is an error when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import nox
from packaging.requirements import Requirement

nox.needs_version = ">=2025.2.9"
#: uv makes the sessions' environments in seconds where pip takes half a minute
#: each (the ``nox`` dependency group installs it); without uv, virtualenv and pip.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))
nox.options.sessions = ["tests", "minimum", "style", "typing", "docs", "benchmarks"]

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = ["3.11", "3.12", "3.13"]
OLDEST, CI_PYTHON = PYTHONS[0], "3.11"
#: What the browser tests need from npm; the README's test command installs the same.
NPM_PACKAGES = ["htmx.org@2", "axe-core"]
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
#: Test-only libraries the package works with (``flask_secret_keys/_compat.py`` relies
#: on Flask-Migrate's private API; the pages follow Flask-Babel's locale): the
#: ``minimum`` session pins them to the test extra's lower bound too.
MINIMUM_FROM_TEST = {"flask-migrate", "flask-babel"}
#: The extension's gettext domain and its catalogs (``flask_secret_keys/i18n.py``).
DOMAIN = "flask_secret_keys"
TRANSLATIONS = Path("flask_secret_keys", "translations")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


def _npm_install(session: nox.Session, tree: Path = ROOT) -> None:
    """htmx and axe-core into ``tree/node_modules/``, as the README's test command does.

    ``--prefix``: without it, npm installs into the closest parent folder that
    has a ``node_modules/`` when ``tree`` has none.
    """
    if shutil.which("npm") is None:
        session.warn("npm not found: the browser tests will be skipped (an error in CI)")
        return
    if all((tree / "node_modules" / name.split("@")[0]).is_dir() for name in NPM_PACKAGES):
        # Installed already (by the README's command, or another session): two
        # sessions run side by side in CI, and npm must not write one tree twice at once.
        return
    session.run(
        "npm",
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(tree),
        *NPM_PACKAGES,
        external=True,
    )


def _print_installed(session: nox.Session) -> None:
    """What the session's environment holds, ``name==version`` a line (uv's have no pip)."""
    session.run(
        "python",
        "-c",
        "import importlib.metadata as m; print(*sorted(f'{d.name}=={d.version}'"
        " for d in m.distributions()), sep='\\n')",
        silent=False,
    )


def _pytest(session: nox.Session, *, coverage: bool = False, **env: str) -> None:
    # pytest exits with 5 when it collected no test; nox counts any non-zero exit as failure.
    if coverage:
        session.run("coverage", "erase")
        session.run("coverage", "run", "-m", "pytest", *session.posargs, env=env)
        session.run("coverage", "combine", "--quiet")
        session.run("coverage", "report")
        figures = Path(session.create_tmp()) / "coverage.json"
        session.run("coverage", "json", "--quiet", "-o", str(figures))
        totals = json.loads(figures.read_text())["totals"]
        session.log(
            f"branch coverage of the package: {totals['covered_branches']} of"
            f" {totals['num_branches']} branches,"
            f" {100 * totals['covered_branches'] / max(totals['num_branches'], 1):.1f} %"
        )
    else:
        session.run("python", "-m", "pytest", *session.posargs, env=env)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite on SQLite, with branch coverage of the package."""
    session.install("-e", ".[test]", *_group("coverage"))
    _npm_install(session)
    _pytest(session, coverage=True)


def minimum_requirements(pyproject: dict[str, Any] = PYPROJECT) -> list[str]:
    """``name==X`` for the lower bound ``>=X`` of every runtime dependency and extra.

    Read from pyproject.toml, so the pins cannot drift from what is declared;
    a dependency declared without a lower bound is an error.
    """
    project = pyproject["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    declared = list(project["dependencies"])
    for extra, requirements in extras.items():
        if extra != "test":
            declared += requirements
    declared += [r for r in extras["test"] if Requirement(r).name in MINIMUM_FROM_TEST]
    pins = []
    for line in declared:
        requirement = Requirement(line)
        if requirement.name == project["name"]:
            continue
        floors = [s.version for s in requirement.specifier if s.operator == ">="]
        if len(floors) != 1:
            raise ValueError(f"{line!r} needs exactly one lower bound (>=) in pyproject.toml")
        pins.append(f"{requirement.name}=={floors[0]}")
    return pins


@nox.session(python=OLDEST)
def minimum(session: nox.Session) -> None:
    """The suite on the oldest Python with every dependency at its declared lower bound,
    under branch coverage (CI's coverage report)."""
    pins = minimum_requirements()
    # setuptools as ``python -m venv`` gives it on 3.11 (uv's environments have none):
    # Babel before 2.13 falls back to the deprecated distutils without it.
    session.install("-e", ".[test]", *_group("coverage"), *pins, "setuptools")
    _print_installed(session)
    _npm_install(session)
    _pytest(session, coverage=True)


@nox.session(python=CI_PYTHON)
def postgres(session: nox.Session) -> None:
    """The suite on PostgreSQL: ``TEST_DATABASE_URL``, or the local server's ``test`` database."""
    session.install("-e", ".[test]")
    _npm_install(session)
    _pytest(session, TEST_DATABASE_URL=os.environ.get("TEST_DATABASE_URL", POSTGRES_URL))


@nox.session(python=CI_PYTHON)
def mariadb(session: nox.Session) -> None:
    """The suite on MariaDB: ``TEST_DATABASE_URL``, or the local server's ``test`` database."""
    session.install("-e", ".[test]")
    _npm_install(session)
    _pytest(session, TEST_DATABASE_URL=os.environ.get("TEST_DATABASE_URL", MARIADB_URL))


@nox.session(python=CI_PYTHON)
def style(session: nox.Session) -> None:
    """ruff's rules and format, and the check that the default htmx URL and hash agree.

    Markdown is left out of the format check until the code blocks of README.md
    and docs/integration.md are formatted; pre-commit formats them already.
    """
    session.install("-e", ".", *_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "--exclude", "*.md", ".")
    session.run("python", ".ci/check_htmx_integrity.py")


@nox.session(python=CI_PYTHON)
def typing(session: nox.Session) -> None:
    """mypy: strict on the package, ``check_untyped_defs`` on the tests (pyproject.toml)."""
    session.install("-e", ".[test]", *_group("typing"), *_group("nox"))
    session.run("mypy")


@nox.session(python=CI_PYTHON)
def docs(session: nox.Session) -> None:
    """The HTML docs, with every Sphinx warning an error."""
    session.install("-e", ".", *_group("docs"))
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session(python=CI_PYTHON)
def benchmarks(session: nox.Session) -> None:
    """``python -m benchmarks --quick``: checks that the suite runs; its figures are not used.

    The PostgreSQL parts run on ``BENCH_POSTGRES_URL`` when it is set.
    """
    session.install("-e", ".", *_group("bench"))
    session.run("python", "-m", "benchmarks", "--quick")


@nox.session(python=CI_PYTHON)
def sdist(session: nox.Session) -> None:
    """Build the sdist, install it with its test extra, and run its own tests on SQLite."""
    session.install(*_group("build"))
    tmp = Path(session.create_tmp()).resolve()
    shutil.rmtree(tmp / "dist", ignore_errors=True)
    # build's isolated environment comes from uv when the session's does.
    installer = ["--installer", "uv"] if session.venv_backend == "uv" else []
    session.run("python", "-m", "build", "--sdist", *installer, "--outdir", str(tmp / "dist"))
    [archive] = (tmp / "dist").glob("*.tar.gz")
    unpacked = tmp / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir()
    session.run("tar", "-xzf", str(archive), "-C", str(unpacked), external=True)
    [tree] = unpacked.iterdir()
    session.install(f"{archive}[test]")
    _npm_install(session, tree)
    session.chdir(tree)
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=CI_PYTHON)
def translations(session: nox.Session) -> None:
    """Extract the messages into the template (``.pot``), merge it into every catalog,
    and check that each catalog compiles.

    The compiled catalogs go to the session's temporary folder, not into the
    tree: the wheel compiles its own (``hatch_build.py``), and ``*.mo`` is
    git-ignored anyway.
    """
    session.install("-e", ".")
    TRANSLATIONS.mkdir(exist_ok=True)
    template = TRANSLATIONS / f"{DOMAIN}.pot"
    keywords = ["sk_gettext", "sk_ngettext:1,2", "lazy_gettext", "lazy_ngettext:1,2"]
    session.run(
        "pybabel",
        "extract",
        "-F",
        "babel.cfg",
        *(f"--keyword={keyword}" for keyword in keywords),
        "--add-comments=Translators:",
        "--no-wrap",
        "--sort-by-file",
        "--project=Flask-Secret-Keys",
        f"--msgid-bugs-address={PYPROJECT['project']['urls']['Issues']}",
        f"--output-file={template}",
        ".",
    )
    if not any(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        session.log(
            f"no catalog yet: start one with `pybabel init -D {DOMAIN} -i {template}"
            f" -d {TRANSLATIONS} -l LOCALE`"
        )
        return
    # Catalogs change when their messages do, not each time the template's date does.
    session.run(
        "pybabel",
        "update",
        "-D",
        DOMAIN,
        "-i",
        str(template),
        "-d",
        str(TRANSLATIONS),
        "--no-wrap",
        "--ignore-pot-creation-date",
    )
    compiled = Path(session.create_tmp()).resolve() / "translations"
    shutil.rmtree(compiled, ignore_errors=True)
    shutil.copytree(TRANSLATIONS, compiled, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    session.run("pybabel", "compile", "-D", DOMAIN, "-d", str(compiled), "--statistics")


@nox.session(python=CI_PYTHON)
def api(session: nox.Session) -> None:
    """schemathesis against the example app's management API, on a session and on a key.

    Fixed seed and example counts (in ``.ci/schemathesis_api.py``), so runs repeat.
    """
    session.install("-e", ".[test]")
    session.run("python", ".ci/schemathesis_api.py")
