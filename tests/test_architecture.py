"""The shape DESIGN.md draws, checked on the source: each service is a room of its own.

A service package may import `schemas` and `services.kit`, never another service; the
kit and `schemas` import no service; `schemas` needs nothing but msgspec and the standard
library; NATS subjects are spelled only in `schemas`. The packages `services/cli` (the
`perche` command) and `services/bench` (`perche bench ...`) wire every service together
(the composition root) and are exempt; they are no service, and no service imports them.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "services"
SCHEMAS = ROOT / "schemas"
KIT = "kit"
COMPOSITION_ROOT = {"cli", "bench"}
SUBJECT = re.compile(r"^perche\.[a-z_]+\.(cmd|q|evt)\b")


def composition_root(path: Path) -> bool:
    parts = path.relative_to(SERVICES).parts
    return len(parts) > 1 and parts[0] in COMPOSITION_ROOT


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute names of every module `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            # `from services import registration` imports a package too.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 and (SERVICES / parts[1]).is_dir() else None


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def service_packages() -> list[Path]:
    return sorted(
        p for p in SERVICES.iterdir() if (p / "__init__.py").exists() and p.name not in {KIT, *COMPOSITION_ROOT}
    )


def test_the_services_the_design_names_are_there() -> None:
    names = {p.name for p in service_packages()}
    assert {"catalog", "registration", "teams", "schedule", "judging", "publishing", "notify", "web"} <= names


def test_the_composition_root_is_no_service_but_importing_it_counts() -> None:
    """cli and bench are not checked as services, and a service importing them is an offence."""
    assert (SERVICES / "cli" / "__init__.py").exists() and (SERVICES / "bench" / "__init__.py").exists()
    assert not COMPOSITION_ROOT & {p.name for p in service_packages()}
    assert service_of("services.cli.main") == "cli" and service_of("services.bench.load") == "bench"
    assert composition_root(SERVICES / "cli" / "main.py") and composition_root(SERVICES / "bench" / "ical.py")
    assert not composition_root(SERVICES / "registration" / "service.py")


def test_nothing_lies_loose_beside_the_packages() -> None:
    """Every module of services/ belongs to a service, the kit or the composition root."""
    assert sorted(p.name for p in SERVICES.glob("*.py")) == ["__init__.py"]


def test_the_import_checker_sees_relative_and_package_imports(tmp_path: Path) -> None:
    """The checker itself: a sneaky import must not slip through."""
    sneaky = tmp_path / "services" / "registration" / "probe.py"
    sneaky.parent.mkdir(parents=True)
    sneaky.write_text("from ..catalog import rules\nfrom services import teams\nfrom . import service\n")
    found = imported_modules(sneaky, tmp_path)
    assert {"services.catalog.rules", "services.teams", "services.registration.service"} <= found


def test_no_service_imports_another_service() -> None:
    offences = []
    for package in service_packages():
        for path in python_files(package):
            for module in imported_modules(path):
                other = service_of(module)
                if other not in (None, package.name, KIT):
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_only_the_composition_root_wires_services_together() -> None:
    housed = {KIT, *COMPOSITION_ROOT, *(p.name for p in service_packages())}
    offences = []
    for path in python_files(SERVICES):
        if path.relative_to(SERVICES).parts[0] in housed:
            continue
        for module in imported_modules(path):
            if service_of(module) not in (None, KIT):
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_the_kit_imports_no_service() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(SERVICES / KIT)
        for module in imported_modules(path)
        if service_of(module) not in (None, KIT)
    ]
    assert offences == []


def test_schemas_import_nothing_from_services() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(SCHEMAS)
        for module in imported_modules(path)
        if module.split(".")[0] == "services"
    ]
    assert offences == []


def test_schemas_need_only_msgspec_and_the_standard_library() -> None:
    """Any service, in any process or language binding, can depend on the messages alone."""
    allowed = {"msgspec", "schemas", *sys.stdlib_module_names}
    offences = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(SCHEMAS)
        for module in imported_modules(path)
        if module.split(".")[0] not in allowed
    )
    assert offences == []


def test_subjects_are_spelled_only_in_schemas() -> None:
    """DESIGN: subjects are defined in schemas, never spelled out elsewhere."""
    offences = []
    for path in python_files(SERVICES):
        if composition_root(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SUBJECT.match(node.value):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert offences == []


WEB = SERVICES / "web"
# The web's own composition: build_app registers every context's handlers, the process starts it.
WEB_ROOTS = {"app.py", "service.py"}


def web_contexts() -> list[Path]:
    return sorted(p for p in WEB.iterdir() if (p / "__init__.py").exists())


def web_context_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["services", "web"] or len(parts) < 3:
        return None
    return parts[2] if (WEB / parts[2] / "__init__.py").exists() else None


def test_no_web_context_imports_another() -> None:
    """DESIGN: the web has one package per context, and no context imports another."""
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for context in web_contexts()
        for path in python_files(context)
        for module in imported_modules(path)
        if web_context_of(module) not in (None, context.name)
    ]
    assert offences == []


def test_the_webs_shared_pieces_import_no_context() -> None:
    """gateway, auth, errors, rendering... serve every context, so they depend on none."""
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted(WEB.glob("*.py"))
        if path.name not in WEB_ROOTS
        for module in imported_modules(path)
        if web_context_of(module) is not None
    ]
    assert offences == []


# Pure algorithms in the kit (no NATS, no state), which the services and the `perche` command
# both run: `perche teams form PARTICIPANTS.csv` and `perche judging rank SCORES.csv` need no
# running Perche.
KIT_ALGORITHMS = {"services.kit.team_formation", "services.kit.jury_model"}


def test_the_perche_command_starts_services_but_borrows_none_of_their_code() -> None:
    """`perche` may start each service (its `service` module); anything else it needs (reading an
    event file, checking one, forming teams from a file) comes from schemas and the kit, or is asked
    of the service over NATS."""
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(SERVICES / "cli")
        for module in imported_modules(path)
        if service_of(module) not in (None, KIT, *COMPOSITION_ROOT) and module.split(".")[2:3] != ["service"]
    ]
    assert offences == []


def test_the_kits_algorithms_import_only_the_standard_library_and_msgspec() -> None:
    for name in sorted(KIT_ALGORITHMS):
        path = ROOT / (name.replace(".", "/") + ".py")
        outside = [
            m for m in imported_modules(path) if m.split(".")[0] not in sys.stdlib_module_names and m != "msgspec"
        ]
        assert outside == [], name
