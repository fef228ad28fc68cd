"""No import points up: a domain module imports only modules of its own or a lower layer.

Interface modules (views, forms, command-line tools, the demo, templating, error pages and the
app factory) sit on top and may import anything.
"""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# Lowest first. Each entry: the dotted prefixes of one layer.
LAYERS = [
    (
        "portal.config",
        "portal.extensions",
        "portal.models_base",
        "portal.rules",
        "portal.clock",
        "portal.refusal",
        "portal.security",
        "portal.fields",
        "portal.paging",
        "portal.pagecache",
        "portal.spreadsheets",
        "portal.heap",
    ),
    ("portal.jurisdictions",),
    ("portal.audit",),
    ("portal.settings",),
    ("portal.storage",),
    ("portal.formtokens",),
    ("portal.notifications",),
    ("portal.units",),
    ("portal.accounts",),
    ("portal.jobs",),
    ("portal.workdays",),
    ("portal.declarations",),
    ("portal.providers",),
    ("portal.people",),
    ("portal.review",),
    ("portal.board",),
    ("portal.certificates",),
    ("portal.stats",),
    ("portal.dashboard",),
    ("portal.exchange",),
    ("portal.verification",),
    ("portal.city",),  # the city officer's queue over review and verification
    ("portal.admin",),
    ("portal.api",),  # the pull API's declarations over exchange and verification
]
INTERFACE_FILES = {"views.py", "forms.py", "cli.py", "demo.py"}
INTERFACE_MODULES = {
    "portal",
    "portal.cli_support",  # the commands' common options (--jurisdiction) and exits
    "portal.templating",
    "portal.errors",
    "portal.main",
    "portal.publicity",
}


def layer_of(module: str) -> int | None:
    for number, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return number
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",):
            skip.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return [(line, name) for line, name in found if name.startswith("portal")]


def test_every_domain_module_has_a_layer():
    missing = []
    for path in PORTAL.rglob("*.py"):
        module = _module_name(path)
        if path.name in INTERFACE_FILES or module in INTERFACE_MODULES:
            continue
        if module.split(".")[:2] == ["portal", "publicity"]:
            continue
        if layer_of(module) is None:
            missing.append(module)
    assert missing == []


def test_no_import_points_up():
    upward = []
    for path in PORTAL.rglob("*.py"):
        module = _module_name(path)
        if path.name in INTERFACE_FILES or module in INTERFACE_MODULES:
            continue
        own = layer_of(module)
        if own is None:
            continue
        for line, imported in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            theirs = layer_of(imported)
            if theirs is not None and theirs > own:
                upward.append(f"{module}:{line} imports {imported}")
    assert upward == []
