"""Plugins import from the core only ``pc_app`` (``hookimpl``, ``create_app``) and ``pc_app.toolkit``.

The toolkit is the one surface the core promises plugins (like CKAN's); everything else in
``pc_app`` may move. Function-level imports count too.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"pc_app", "pc_app.toolkit"}


def core_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "pc_app":
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "pc_app"]
    return found


def test_plugins_import_only_the_toolkit():
    offenders = [f"{path.relative_to(ROOT)}: {module}" for path in sorted((ROOT / "plugins").rglob("*.py"))
                 for module in core_imports(path) if module not in ALLOWED]
    assert not offenders, "plugins reaching into the core's insides:\n" + "\n".join(offenders)


def test_the_check_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from pc_app.core.models import Lead\n")
    assert core_imports(sample) == ["pc_app.core.models"]
