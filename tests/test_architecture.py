"""The architecture, checked: no import cycle, and dependencies point the way README.md says.

    python -m pytest tests/test_architecture.py

Every ``import`` of the first-party packages counts -- at module level, inside functions and
under ``if TYPE_CHECKING`` -- as an edge of one module graph. The rules are README.md's
package table (its ``imports`` column) and serverless.yml's ``package.patterns`` (what ships
to Lambda), read from those files, so neither can drift from what is checked here. An import
inside a function is allowed only with the cold-start time it saves written in a comment above
it (``... ms ...``).
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vote_domain", "projections", "votes", "handlers")
"""The first-party packages (everything the distribution installs)."""
AWS_AND_HTTP = (
    "aioboto3",
    "aiobotocore",
    "aws_lambda_powertools",
    "boto3",
    "botocore",
    "httpx",
    "jwt",
    "sse_starlette",
    "starlette",
    "uvicorn",
)
"""Third-party packages the domain library must never import."""


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def package_init(self) -> bool:
        return self.path.name == "__init__.py"


@cache
def modules() -> dict[str, Module]:
    """Every first-party module by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = Module(".".join(parts), path)
    return found


def _imported_names(module: Module) -> Iterator[str]:
    """The dotted names ``module`` imports, anywhere in it (relative imports resolved)."""
    package = module.name if module.package_init else module.name.rpartition(".")[0]
    for node in ast.walk(ast.parse(module.path.read_text(), str(module.path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                # `from package import submodule` depends on the submodule, else on `base`
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules() else base


def _first_party(name: str) -> str | None:
    """The first-party module ``name`` is (or is in), else None."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the first-party modules it imports."""
    edges = {}
    for name, module in modules().items():
        targets = {_first_party(n) for n in _imported_names(module)}
        edges[name] = frozenset(t for t in targets if t is not None and t != name)
    return edges


def third_party_imports(name: str) -> set[str]:
    """The top-level names of the non-first-party packages ``name`` imports."""
    return {
        imported.split(".")[0]
        for imported in _imported_names(modules()[name])
        if _first_party(imported) is None
    }


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected sets of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


# -- the rules, from README.md and serverless.yml -------------------------------------------


@cache
def readme_rules() -> dict[str, frozenset[str]]:
    """README.md's package table: package -> the first-party packages it may import (its own
    subpackages always)."""
    text = (ROOT / "README.md").read_text()
    rules = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[a-z_.*]+/?`", cells[0]):
            continue
        package = cells[0].strip("`/").removesuffix(".*")
        if package.split(".")[0] in PACKAGES:
            rules[package] = frozenset(re.findall(r"`([a-z_.]+)`", cells[2]))
    return rules


def rule_for(module: str) -> tuple[str, frozenset[str]]:
    """The most specific README package containing ``module``, and what it may import."""
    rules = readme_rules()
    name = module
    while name not in rules:
        name = name.rpartition(".")[0]
        assert name, f"{module} is in no package of README.md's table"
    return name, rules[name]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@cache
def lambda_patterns() -> tuple[str, ...]:
    """serverless.yml's ``package.patterns``, in order."""
    text = (ROOT / "serverless.yml").read_text()
    block = re.search(r"^package:\n(?:  .*\n)*?  patterns:\n((?:    (?:- .*|#.*)\n)+)", text, re.M)
    assert block, "serverless.yml has no package.patterns"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return tuple(line[2:].strip().strip("\"'") for line in lines if line.startswith("- "))


def ships_to_lambda(module: Module) -> bool:
    """Whether serverless.yml's patterns put ``module``'s file in the Lambda zip (the last
    matching pattern decides, as in the Serverless Framework)."""
    path = module.path.relative_to(ROOT).as_posix()
    included = False
    for pattern in lambda_patterns():
        negated = pattern.startswith("!")
        if fnmatch.fnmatch(path, pattern.lstrip("!")):
            included = not negated
    return included


# -- the tests --------------------------------------------------------------------------------


def test_the_graph_sees_every_kind_of_import() -> None:
    # a module-level, a function-level and a TYPE_CHECKING import of this very code base
    edges = graph()
    assert "votes.bootstrap" in edges["votes.http.routes._context"]  # module level
    assert "votes.http.routes" in edges["votes.http.api"]  # inside a function
    assert "vote_domain" in edges["votes.custom_resource"]  # under TYPE_CHECKING
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"a"}), "c": frozenset()}) == [["a", "b"]]


def test_no_import_cycle() -> None:
    found = cycles(graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_readme_table_names_every_package() -> None:
    rules = readme_rules()
    assert set(PACKAGES) <= set(rules)
    for package in rules:
        assert package in modules(), f"README.md names {package}, which does not exist"
    for name in modules():
        rule_for(name)  # every module falls under a row


def test_dependencies_point_the_way_the_readme_says() -> None:
    wrong = []
    for name, targets in graph().items():
        package, allowed = rule_for(name)
        for target in targets:
            if not (_inside(target, package) or any(_inside(target, a) for a in allowed)):
                wrong.append(f"{name} -> {target} ({package} may import {sorted(allowed)})")
    assert wrong == []


def test_the_domain_imports_no_aws_or_http_library() -> None:
    wrong = {
        name: sorted(third_party_imports(name) & set(AWS_AND_HTTP))
        for name in modules()
        if _inside(name, "vote_domain")
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_nothing_that_ships_to_lambda_imports_local_only_code() -> None:
    shipped = {name for name, module in modules().items() if ships_to_lambda(module)}
    local_only = set(modules()) - shipped
    # the local app, its identity provider and the CLIs stay out of the zip...
    assert {"votes.local", "votes.local.server", "votes.local.idp.provider", "votes.cli"} <= (
        local_only
    )
    assert {"handlers.api", "votes.bootstrap", "vote_domain", "projections"} <= shipped
    # ...and nothing in the zip needs them
    wrong = [f"{m} -> {t}" for m in sorted(shipped) for t in graph()[m] if t in local_only]
    assert wrong == []


def _function_level_imports(module: Module) -> set[int]:
    """Line numbers of the imports inside functions of ``module``."""
    tree = ast.parse(module.path.read_text(), str(module.path))
    return {
        node.lineno
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }


def _comment_above(lines: list[str], lineno: int) -> str:
    """The comment block above line ``lineno`` (1-based), past the imports grouped with it."""
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith(("import ", "from ")):
        i -= 1
    block = []
    while i >= 0 and lines[i].strip().startswith("#"):
        block.append(lines[i].strip())
        i -= 1
    return " ".join(reversed(block))


def test_every_function_level_import_says_what_it_saves() -> None:
    unexplained = []
    for module in modules().values():
        lines = module.path.read_text().splitlines()
        for lineno in sorted(_function_level_imports(module)):
            if not re.search(r"\d\s*ms\b", _comment_above(lines, lineno)):
                unexplained.append(f"{module.path.relative_to(ROOT)}:{lineno}")
    assert unexplained == [], "function-level imports without a measured reason"
