"""Keep the documentation in step with the code.

These tests fail when someone adds, removes or changes a table, column, problem code, module or
command without updating README.md, docs/data-formats.md or docs/architecture.md. Each failure
message says which document to edit.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from countylines.duckdb_checks import SQL_TYPES
from countylines.problems import PROBLEM_CODES
from countylines.schema import AREA_COLUMNS, TABLES, Column, Kind

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "countylines"
README = ROOT / "README.md"
DATA_FORMATS = ROOT / "docs" / "data-formats.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SIMULATOR = ROOT / "docs" / "simulator.md"

ALL_TABLES: dict[str, tuple[Column, ...]] = {
    **{name: t.columns for name, t in TABLES.items()},
    "areas": AREA_COLUMNS,
}
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))
SUBPACKAGES = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
SUB_MODULES = [(pkg, p.name) for pkg in SUBPACKAGES for p in sorted((PACKAGE / pkg).glob("*.py"))]


# Problem codes are the first string argument of these calls in src/countylines.
def _read(path: Path) -> str:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def _section(text: str, heading: str, level: int) -> str:
    """The text under `#…# heading`, up to the next heading of the same or a higher level."""
    hashes = "#" * level
    match = re.search(rf"^{hashes}[ \t]+{re.escape(heading)}[ \t]*$", text, re.MULTILINE)
    assert match, f"no heading {hashes} {heading}"
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}}[ \t]", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _table_section(name: str) -> str:
    return _section(_read(DATA_FORMATS), f"`{name}`", 3)


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Every pipe table in `text` as rows of cells (header row first, separator row dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _rows_by_name(table: list[list[str]], pattern: str) -> dict[str, list[str]]:
    """The body rows of a markdown table by the name in their first cell (matched by `pattern`)."""
    rows: dict[str, list[str]] = {}
    for cells in table[1:]:
        m = re.fullmatch(pattern, cells[0])
        if m:
            rows[m.group(1)] = cells
    return rows


def _column_rows(name: str) -> dict[str, list[str]]:
    """The rows of the first table headed `| Column | Kind | Req. | …` in a table's section."""
    for table in _markdown_tables(_table_section(name)):
        if table[0][:3] == ["Column", "Kind", "Req."]:
            return _rows_by_name(table, r"`([^`]+)`")
    raise AssertionError(
        f"docs/data-formats.md: section `{name}` has no table headed | Column | Kind | Req. |"
    )


def _code_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


# --- docs/data-formats.md: tables and columns ------------------------------------------------


@pytest.mark.parametrize("table", list(ALL_TABLES))
def test_every_column_is_documented_under_its_table(table: str) -> None:
    documented = list(_column_rows(table))
    expected = [c.name for c in ALL_TABLES[table]]
    missing = [c for c in expected if c not in documented]
    stale = [c for c in documented if c not in expected]
    assert not missing, f"docs/data-formats.md, section `{table}`: add columns {missing}"
    assert not stale, f"docs/data-formats.md, section `{table}`: remove columns {stale}"
    assert documented == expected, (
        f"docs/data-formats.md, section `{table}`: list the columns in schema order {expected}"
    )


@pytest.mark.parametrize("table", list(ALL_TABLES))
def test_column_kind_required_values_and_range_are_documented(table: str) -> None:
    rows = _column_rows(table)
    for col in ALL_TABLES[table]:
        cells = rows[col.name]
        where = f"docs/data-formats.md, section `{table}`, column `{col.name}`"
        assert cells[1] == col.kind.value, f"{where}: kind should be {col.kind.value!r}"
        assert (cells[2] == "yes") == col.required, f"{where}: Req. should be {col.required}"
        row_text = " | ".join(cells[3:])
        for value in col.values:
            assert f"`{value}`" in row_text, f"{where}: allowed value `{value}` not listed"
        compact = re.sub(r"\s", "", row_text)
        for bound in (col.min, col.max):
            if bound is not None:
                assert f"{bound:g}" in compact, f"{where}: range bound {bound:g} not given"


@pytest.mark.parametrize("table", list(TABLES))
def test_key_and_references_are_documented(table: str) -> None:
    section = _table_section(table)
    t = TABLES[table]
    if t.key is None:
        assert "Key: none" in section, f"docs/data-formats.md, section `{table}`: say 'Key: none'"
    else:
        assert f"Key: `{t.key}`" in section, f"docs/data-formats.md, section `{table}`: key"
    for ref in t.references:
        text = f"`{ref.column}` → `{ref.target}.{ref.target_column}`"
        assert text in section, f"docs/data-formats.md, section `{table}`: reference {text}"


def test_every_kind_is_documented_with_its_database_type() -> None:
    tables = _markdown_tables(_section(_read(DATA_FORMATS), "Kinds of value", 3))
    assert tables, "docs/data-formats.md: 'Kinds of value' has no table"
    rows = {re.sub(r"`", "", r[0]): " | ".join(r) for r in tables[0][1:]}
    for kind in Kind:
        assert kind.value in rows, f"docs/data-formats.md, Kinds of value: add `{kind.value}`"
        assert f"`{SQL_TYPES[kind]}`" in rows[kind.value], (
            f"docs/data-formats.md, Kinds of value: `{kind.value}` is stored as {SQL_TYPES[kind]}"
        )


def test_csv_examples_name_only_real_columns() -> None:
    for table in TABLES:
        blocks = _code_blocks(_table_section(table), "csv")
        assert len(blocks) == 1, f"docs/data-formats.md, section `{table}`: one ```csv example"
        header = blocks[0].splitlines()[0].split(",")
        unknown = [h for h in header if h not in TABLES[table].column_names]
        assert not unknown, f"docs/data-formats.md, `{table}` example: unknown columns {unknown}"


def test_csv_examples_validate_cleanly(tmp_path: Path) -> None:
    from countylines.database import validate_case

    for table in TABLES:
        (block,) = _code_blocks(_table_section(table), "csv")
        (tmp_path / f"{table}.csv").write_text(block, encoding="utf-8")
    (areas,) = _code_blocks(_table_section("areas"), "json")
    (tmp_path / "areas.geojson").write_text(areas, encoding="utf-8")
    result = validate_case(tmp_path)
    assert result.ok and result.log.n_warnings == 0, (
        "docs/data-formats.md examples, put together as one case, should give no problems: "
        f"{result.log.problems()}"
    )
    assert set(result.rows) == {*TABLES, "areas"}


# --- docs/data-formats.md: problem codes and the database ----------------------------------


def _codes_in_source() -> set[str]:
    return set(PROBLEM_CODES)


def _documented_codes() -> set[str]:
    section = _section(_read(DATA_FORMATS), "Problem codes", 3)
    (table,) = _markdown_tables(section)
    return {re.sub(r"`", "", r[0]) for r in table[1:]}


def test_every_problem_code_is_documented() -> None:
    missing = sorted(_codes_in_source() - _documented_codes())
    assert not missing, f"docs/data-formats.md, Problem codes: add {missing}"


def test_no_documented_problem_code_is_stale() -> None:
    stale = sorted(_documented_codes() - _codes_in_source())
    assert not stale, f"docs/data-formats.md, Problem codes: {stale} no longer exist"


def test_metadata_tables_and_columns_are_documented() -> None:
    source = (PACKAGE / "database.py").read_text()
    created = re.findall(r"CREATE OR REPLACE TABLE (_case_\w+) \((.*?)\)\"", source, re.DOTALL)
    assert created, "database.py: no metadata tables found; update this test"
    section = _section(_read(DATA_FORMATS), "Metadata tables", 3)
    for name, body in created:
        columns = [c.strip().split()[0] for c in re.sub(r'"\s*"', "", body).split(",")]
        assert f"`{name}`" in section, f"docs/data-formats.md, Metadata tables: add {name}"
        for col in columns:
            assert f"`{col}`" in section, f"docs/data-formats.md, Metadata tables: {name}.{col}"


def test_stored_area_columns_are_documented() -> None:
    section = _section(_read(DATA_FORMATS), "`areas` table", 3)
    source = (PACKAGE / "geography.py").read_text()
    frame = source[source.index("pd.DataFrame(") :]
    stored = re.findall(r'^\s*"(\w+)":', frame, re.MULTILINE)
    assert "geometry_wkb" in stored, "geography.py: stored columns not found; update this test"
    for col in stored:
        assert f"`{col}`" in section, f"docs/data-formats.md, `areas` table: add `{col}`"


# --- docs/architecture.md -------------------------------------------------------------------


def _module_map(prefix: str = "") -> dict[str, set[str]]:
    """Module file → the countylines modules it may import, from the module map table.

    `prefix` "" reads the table of the top-level modules; "simulate/" the table of the
    `simulate` subpackage, whose rows name `simulate/NAME.py`.
    """
    section = _section(_read(ARCHITECTURE), "Module map and dependency rules", 2)
    for table in _markdown_tables(section):
        if table[0][:1] == ["Module"] and "May import" in table[0]:
            col = table[0].index("May import")
            out: dict[str, set[str]] = {}
            for row in table[1:]:
                m = re.fullmatch(rf"`{re.escape(prefix)}([\w.]+\.py)`", row[0])
                if m:
                    out[m.group(1)] = set(re.findall(r"`(\w+)`", row[col]))
            if out:
                return out
    raise AssertionError(
        f"docs/architecture.md: no module map table with a 'May import' column for `{prefix}*.py`"
    )


def test_every_module_is_named_in_architecture() -> None:
    text = _read(ARCHITECTURE)
    for module in MODULES:
        assert f"`{module}`" in text, f"docs/architecture.md: describe src/countylines/{module}"


def test_every_subpackage_is_named_in_architecture() -> None:
    text = _read(ARCHITECTURE)
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        name = init.parent.name
        assert f"`{name}`" in text or f"`{name}/`" in text, (
            f"docs/architecture.md: describe the subpackage src/countylines/{name}/"
        )


def test_module_map_matches_the_package() -> None:
    documented = set(_module_map())
    assert not set(MODULES) - documented, (
        f"docs/architecture.md, module map: add {sorted(set(MODULES) - documented)}"
    )
    assert not documented - set(MODULES), (
        f"docs/architecture.md, module map: {sorted(documented - set(MODULES))} do not exist "
        "(planned modules belong in the 'Planned modules' table)"
    )


def _package_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "countylines":
                found.update("__init__" if a.name == "__version__" else a.name for a in node.names)
            elif node.module.startswith("countylines."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("countylines."):
                    found.add(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(node.module.split(".")[0] if node.module else "__init__")
    return found


@pytest.mark.parametrize("module", MODULES)
def test_imports_follow_the_dependency_rules(module: str) -> None:
    allowed = _module_map().get(module)
    assert allowed is not None, f"docs/architecture.md, module map: add `{module}`"
    allowed = set() if allowed == {"nothing"} else allowed
    actual = _package_imports(PACKAGE / module)
    extra = sorted(actual - allowed)
    assert not extra, (
        f"src/countylines/{module} imports {extra}, which docs/architecture.md does not allow; "
        "either remove the import or change the rule (and its reason) in the docs"
    )


def _subpackage_imports(path: Path, package: str) -> set[str]:
    """The countylines modules a module of subpackage `package` imports: `X` for
    countylines.PACKAGE.X, else the top-level module (`lines` for countylines.lines.Y)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == f"countylines.{package}":
                names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "countylines" or len(parts) < 2:
                continue
            found.add(parts[2] if parts[1] == package and len(parts) > 2 else parts[1])
    return found


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_module_map_matches_the_subpackage(package: str) -> None:
    documented = set(_module_map(f"{package}/"))
    actual = {m for pkg, m in SUB_MODULES if pkg == package}
    assert not actual - documented, (
        f"docs/architecture.md, {package} module map: add "
        f"{sorted(f'{package}/{m}' for m in actual - documented)}"
    )
    assert not documented - actual, (
        f"docs/architecture.md, {package} module map: "
        f"{sorted(f'{package}/{m}' for m in documented - actual)} do not exist"
    )


@pytest.mark.parametrize(("package", "module"), SUB_MODULES)
def test_subpackage_imports_follow_the_dependency_rules(package: str, module: str) -> None:
    allowed = _module_map(f"{package}/").get(module)
    assert allowed is not None, f"docs/architecture.md, {package} module map: add `{module}`"
    allowed = set() if allowed == {"nothing"} else allowed
    extra = sorted(_subpackage_imports(PACKAGE / package / module, package) - allowed)
    assert not extra, (
        f"src/countylines/{package}/{module} imports {extra}, which docs/architecture.md does "
        "not allow; either remove the import or change the rule (and its reason) in the docs"
    )


# --- docs/simulator.md ----------------------------------------------------------------------


def _param_value(value: object) -> str:
    """A parameter value as docs/simulator.md writes it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _param_rows(header: str) -> dict[str, list[str]]:
    """Rows of the docs/simulator.md table whose first header cell is `header`, by name."""
    section = _section(_read(SIMULATOR), "Parameters", 2)
    for table in _markdown_tables(section):
        if table[0][0] == header:
            return _rows_by_name(table, r"`(\w+)`")
    raise AssertionError(f"docs/simulator.md, Parameters: no table headed | {header} |")


def test_every_simulator_parameter_is_documented() -> None:
    from countylines.simulate.params import describe

    expected = {name: (value, doc, source) for name, value, doc, source in describe()}
    rows = _param_rows("Parameter")
    missing = [n for n in expected if n not in rows]
    stale = [n for n in rows if n not in expected]

    def row(name: str) -> str:
        value, doc, source = expected[name]
        doc, source = doc.replace("|", "\\|"), source.replace("|", "\\|")
        return f"| `{name}` | {_param_value(value)} | {doc} | {source} |"

    assert not missing, "docs/simulator.md, Parameters: add the rows\n" + "\n".join(
        row(n) for n in missing
    )
    assert not stale, f"docs/simulator.md, Parameters: {stale} are no longer parameters"
    for name, (value, _, _) in expected.items():
        assert rows[name][1] == _param_value(value), (
            f"docs/simulator.md, Parameters, `{name}`: the default is now {_param_value(value)}"
        )


def test_every_scale_preset_is_documented() -> None:
    from countylines.simulate.params import SCALES, params_for

    section = _section(_read(SIMULATOR), "Parameters", 2)
    tables = [t for t in _markdown_tables(section) if t[0][0] == "Scale parameter"]
    assert tables, "docs/simulator.md, Parameters: no table headed | Scale parameter |"
    header = [re.sub(r"`", "", c) for c in tables[0][0]]
    assert header[1:] == list(SCALES), f"docs/simulator.md: scale columns should be {list(SCALES)}"
    rows = _param_rows("Scale parameter")
    changed = {name for preset in SCALES.values() for name in preset}
    assert set(rows) == changed, f"docs/simulator.md, scale presets: list exactly {sorted(changed)}"
    for name in changed:
        for i, scale in enumerate(SCALES, start=1):
            value = _param_value(getattr(params_for(scale), name))
            assert rows[name][i] == value, (
                f"docs/simulator.md, scale presets: `{name}` at `{scale}` is {value}"
            )


# --- docs/security.md -----------------------------------------------------------------------

SECURITY = ROOT / "docs" / "security.md"


def test_security_doc_lists_every_permission_command_and_audit_action() -> None:
    from countylines.audit import ACTIONS
    from countylines.cli_security import COMMAND_PERMISSIONS
    from countylines.roles import PERMISSIONS, Permission, Role

    text = _read(SECURITY)
    roles = _section(text, "Users and roles", 2)
    (matrix, commands, *_) = _markdown_tables(roles)
    header = matrix[0]
    rows = {re.sub(r"`", "", r[0]): r for r in matrix[1:]}
    for permission in Permission:
        assert permission.value in rows, f"docs/security.md, roles table: add `{permission}`"
        for role in Role:
            ticked = rows[permission.value][header.index(role.value)] == "✓"
            assert ticked == (permission in PERMISSIONS[role]), (
                f"docs/security.md, roles table: `{permission}` for {role.value}"
            )
    listed = " ".join(" ".join(r) for r in commands)
    for command, permission in COMMAND_PERMISSIONS.items():
        assert f"`{command}`" in listed, f"docs/security.md, commands table: add `{command}`"
        if permission is not None:
            row = next(r for r in commands if f"`{command}`" in r[0])
            assert f"`{permission.value}`" in row[1], f"docs/security.md: `{command}` needs"
    actions = _section(text, "The audit log", 2)
    for action in ACTIONS:
        assert f"`{action}`" in actions, f"docs/security.md, audit actions: add `{action}`"


def test_security_doc_lists_every_erasure_rule() -> None:
    from countylines.erasure import ERASURE

    section = _section(_read(SECURITY), "Erasure and retention", 2)
    for table, column in ERASURE:
        assert f"`{table}.{column}`" in section, f"docs/security.md: erasure of {table}.{column}"


# --- README.md ------------------------------------------------------------------------------


def test_readme_gives_the_two_commands() -> None:
    text = _read(README)
    assert "make demo" in text
    assert "make test" in text


def test_readme_names_every_make_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    text = _read(README)
    for target in phony.split():
        assert f"make {target}" in text, f"README.md: explain `make {target}`"


def test_readme_names_every_command() -> None:
    from countylines.cli import app

    text = _read(README)
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"countylines {name}" in text, f"README.md: mention `countylines {name}`"


def test_readme_example_case_validates(tmp_path: Path) -> None:
    from countylines.database import validate_case

    text = _read(README)
    for table in ("events", "cells"):
        m = re.search(rf"`MYCASE/{table}\.csv`\n```csv\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
        assert m, f"README.md: example MYCASE/{table}.csv not found"
        (tmp_path / f"{table}.csv").write_text(m.group(1), encoding="utf-8")
    result = validate_case(tmp_path)
    assert result.ok and result.log.n_warnings == 0, result.log.problems()
