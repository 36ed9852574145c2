"""docs/security.md shows the permission matrix: keep it identical to the code."""

from __future__ import annotations

from pathlib import Path

from garrison.auth.permissions import ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_documented_matrix_matches_the_code() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    header = next(
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| permission")
    )
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    assert set(roles) == set(Role)
    documented: dict[Role, set[Permission]] = {role: set() for role in roles}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        permission = Permission(cells[0].strip("`"))
        for role, cell in zip(roles, cells[1:], strict=True):
            if cell == "✓":
                documented[role].add(permission)
    assert {p.value for row in rows for p in [Permission(row.split("`")[1])]} == {
        p.value for p in Permission
    }
    assert documented == {role: set(ROLE_PERMISSIONS[role]) for role in roles}
