"""Each service is a room of its own: it may import schemas and the kit, never another service."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "services"
SHARED = {"kit"}
# The composition root wires every service together; it is not a service.
SUBJECT = re.compile(r"^perche\.[a-z_]+\.(cmd|q|evt)\b")
COMPOSITION_ROOT = {"cli.py", "bench.py", "bench_baseline.py", "bench_ical.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def service_packages() -> list[Path]:
    return sorted(p for p in SERVICES.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in SHARED)


def test_there_are_the_services_the_design_names() -> None:
    names = {p.name for p in service_packages()}
    assert {"catalog", "registration", "teams", "schedule", "judging", "publishing", "notify", "web"} <= names


def test_no_service_imports_another_service() -> None:
    offences = []
    for package in service_packages():
        for path in package.rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "services" and len(parts) > 1 and parts[1] not in (package.name, *SHARED):
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_the_kit_and_schemas_import_no_service() -> None:
    offences = []
    for folder in (SERVICES / "kit", ROOT / "schemas"):
        for path in folder.rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "services" and not (folder.name == "kit" and parts[1:2] == ["kit"]):
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_subjects_are_spelled_only_in_schemas() -> None:
    """DESIGN: subjects are defined in schemas, never spelled out elsewhere."""
    offences = []
    for path in SERVICES.rglob("*.py"):
        if path.name in COMPOSITION_ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SUBJECT.match(node.value):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert offences == []
