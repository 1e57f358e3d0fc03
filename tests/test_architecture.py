"""The house rules of docs/architecture.md, checked on every import the apps make.

Each app owns its rooms; another app may use only what a room's package exports. These tests
read the source (every `import`, at any depth, including inside functions), so a forbidden
import fails here before it can tie two rooms together.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("home", "breaches", "leads", "search")

# Which app may import which. Dependencies point one way (shared/DESIGN.md, "Layout").
MAY_IMPORT = {
    "home": set(),
    "leads": set(),
    "breaches": {"home", "leads"},
    "search": {"home", "breaches"},
}

# Rooms with a public face: code outside the package imports only the names its `__init__`
# lists in `__all__`, never its modules. The one exception is its own app's registration
# files (`wagtail_hooks.py`, `apps.py`), whose job is to hook the room's parts into Wagtail
# and Django: like `wagtail/contrib/forms/wagtail_hooks.py` importing its views.
ROOMS = ("home.page_cache", "home.consent", "home.security", "leads.admin", "leads.conversion")
REGISTRARS = ("wagtail_hooks", "apps")


def _modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module, path):
    """(imported module, imported names or None, line) for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module
            yield target, [alias.name for alias in node.names], node.lineno


ALL_IMPORTS = [
    (app, module, path, target, names, line)
    for app in APPS
    for module, path in _modules(app)
    for target, names, line in _imports(module, path)
]


def _where(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_walk_sees_the_apps():
    # A walk that found nothing would pass every rule below.
    assert {app for app, *_ in ALL_IMPORTS} == set(APPS)
    assert any(target.startswith("home.page_cache") for *_, target, _, _ in ALL_IMPORTS)


@pytest.mark.parametrize("app", APPS)
def test_dependencies_point_one_way(app):
    wrong = [
        f"{_where(path, line)} imports {target}"
        for owner, _, path, target, _, line in ALL_IMPORTS
        if owner == app
        and (other := target.split(".")[0]) in APPS
        and other != app
        and other not in MAY_IMPORT[app]
    ]
    assert not wrong, f"{app} may import only {sorted(MAY_IMPORT[app]) or 'no other app'}:\n" + (
        "\n".join(wrong)
    )


def test_apps_never_import_settings_modules():
    wrong = [
        f"{_where(path, line)} imports {target}"
        for _, _, path, target, _, line in ALL_IMPORTS
        if target == "cms.settings" or target.startswith("cms.settings.")
    ]
    assert not wrong, "read settings through django.conf.settings:\n" + "\n".join(wrong)


@pytest.mark.parametrize("room", ROOMS)
def test_rooms_are_entered_only_through_their_front_door(room):
    public = set(importlib.import_module(room).__all__)
    wrong = []
    for _, module, path, target, names, line in ALL_IMPORTS:
        if module == room or module.startswith(room + "."):
            continue  # the room's own modules
        app = room.partition(".")[0]
        if module in {f"{app}.{name}" for name in REGISTRARS}:
            continue
        if target.startswith(room + "."):
            wrong.append(f"{_where(path, line)} imports {target}, a module inside {room}")
        elif target == room and names:
            private = sorted(set(names) - public)
            if private:
                wrong.append(f"{_where(path, line)} imports {private} from {room}")
    assert not wrong, f"outside {room}, use only its __all__ {sorted(public)}:\n" + "\n".join(wrong)


def test_no_app_reaches_for_another_apps_private_names():
    wrong = [
        f"{_where(path, line)} imports {name} from {target}"
        for app, _, path, target, names, line in ALL_IMPORTS
        if names and target.split(".")[0] in APPS and target.split(".")[0] != app
        for name in names
        if name.startswith("_")
    ]
    assert not wrong, "a name with a leading underscore is its app's own:\n" + "\n".join(wrong)


@pytest.mark.parametrize("room", ROOMS)
def test_every_exported_name_exists(room):
    package = importlib.import_module(room)
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert not missing, f"{room}.__all__ names what it does not define: {missing}"


def _function_level_imports(path):
    """(function name, imported module, line) for imports inside a function body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level:
                yield function.name, "." * node.level + (node.module or ""), node.lineno
            elif isinstance(node, ast.ImportFrom):
                yield function.name, node.module, node.lineno
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield function.name, alias.name, node.lineno


def test_import_loops_are_broken_by_structure_not_by_late_imports():
    """An import of our own code inside a function is how a loop hides. The one exception is
    `AppConfig.ready()`, Django's documented place to connect signal handlers once every
    app's models are loaded."""
    wrong = [
        f"{_where(path, line)} imports {target} inside {function}()"
        for app in APPS
        for _, path in _modules(app)
        for function, target, line in _function_level_imports(path)
        if (target.startswith(".") or target.split(".")[0] in APPS)
        and not (path.name == "apps.py" and function == "ready")
    ]
    assert not wrong, "import at the top of the module, or move the code:\n" + "\n".join(wrong)
