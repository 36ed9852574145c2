"""Every Sigma value modifier, wildcards, nulls and default case-insensitivity."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from garrison.detection.sigma.model import RuleOptions
from tests.detection.engine.factories import event, rule_yaml, sigma_engine


def matches(tmp_path: Path, detection: str, fields: dict[str, Any], **options: Any) -> bool:
    engine = sigma_engine(tmp_path, rule_yaml(detection), options=RuleOptions(**options))
    return bool(engine.evaluate(event(fields), seq=0))


CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    # name, detection, fields, expected
    (
        "plain equals is case-insensitive",
        "s:\n  Image: 'C:\\Windows\\cmd.exe'\ncondition: s",
        {"Image": "c:\\windows\\CMD.EXE"},
        True,
    ),
    (
        "plain equals needs the whole value",
        "s:\n  Image: 'cmd.exe'\ncondition: s",
        {"Image": "c:\\cmd.exe"},
        False,
    ),
    (
        "contains",
        "s:\n  CommandLine|contains: 'encodedcommand'\ncondition: s",
        {"CommandLine": "powershell -EncodedCommand AAA"},
        True,
    ),
    (
        "startswith",
        "s:\n  CommandLine|startswith: 'powershell'\ncondition: s",
        {"CommandLine": "PowerShell.exe -nop"},
        True,
    ),
    (
        "startswith misses",
        "s:\n  CommandLine|startswith: 'cmd'\ncondition: s",
        {"CommandLine": "powershell cmd"},
        False,
    ),
    (
        "endswith",
        "s:\n  Image|endswith: '\\rundll32.exe'\ncondition: s",
        {"Image": "C:\\Windows\\System32\\rundll32.exe"},
        True,
    ),
    (
        "list is OR",
        "s:\n  Image|endswith:\n    - '\\a.exe'\n    - '\\b.exe'\ncondition: s",
        {"Image": "C:\\b.exe"},
        True,
    ),
    (
        "all needs every value",
        "s:\n  CommandLine|contains|all:\n    - 'net'\n    - 'user'\ncondition: s",
        {"CommandLine": "net group"},
        False,
    ),
    (
        "all with every value",
        "s:\n  CommandLine|contains|all:\n    - 'net'\n    - 'user'\ncondition: s",
        {"CommandLine": "net user bob /add"},
        True,
    ),
    (
        "wildcard star",
        "s:\n  Image: 'C:\\\\*\\evil*.exe'\ncondition: s",
        {"Image": "c:\\tmp\\x\\evil-1.exe"},
        True,
    ),
    ("wildcard question mark", "s:\n  User: 'adm?n'\ncondition: s", {"User": "ADMIN"}, True),
    (
        "question mark is one character",
        "s:\n  User: 'adm?n'\ncondition: s",
        {"User": "admiin"},
        False,
    ),
    ("escaped star is literal", "s:\n  Value: 'a\\*b'\ncondition: s", {"Value": "axxb"}, False),
    (
        "re is case-sensitive",
        "s:\n  CommandLine|re: 'Invoke-[A-Z]+'\ncondition: s",
        {"CommandLine": "invoke-mimikatz"},
        False,
    ),
    (
        "re matches anywhere",
        "s:\n  CommandLine|re: 'Invoke-[A-Z]'\ncondition: s",
        {"CommandLine": "x Invoke-Mimikatz"},
        True,
    ),
    (
        "re with i",
        "s:\n  CommandLine|re|i: 'invoke-[a-z]+'\ncondition: s",
        {"CommandLine": "INVOKE-MIMIKATZ"},
        True,
    ),
    (
        "re with m",
        "s:\n  Text|re|m: '^second$'\ncondition: s",
        {"Text": "first\nsecond\nthird"},
        True,
    ),
    (
        "re without m",
        "s:\n  Text|re: '^second$'\ncondition: s",
        {"Text": "first\nsecond\nthird"},
        False,
    ),
    ("re with s", "s:\n  Text|re|s: 'first.second'\ncondition: s", {"Text": "first\nsecond"}, True),
    (
        "re without s",
        "s:\n  Text|re: 'first.second'\ncondition: s",
        {"Text": "first\nsecond"},
        False,
    ),
    (
        "cidr v4",
        "s:\n  SourceIp|cidr: '192.0.2.0/24'\ncondition: s",
        {"SourceIp": "192.0.2.77"},
        True,
    ),
    (
        "cidr v4 outside",
        "s:\n  SourceIp|cidr: '192.0.2.0/24'\ncondition: s",
        {"SourceIp": "198.51.100.1"},
        False,
    ),
    (
        "cidr v6",
        "s:\n  SourceIp|cidr: '2001:db8::/32'\ncondition: s",
        {"SourceIp": "2001:db8::1"},
        True,
    ),
    (
        "cidr ignores non-addresses",
        "s:\n  SourceIp|cidr: '192.0.2.0/24'\ncondition: s",
        {"SourceIp": "host"},
        False,
    ),
    (
        "base64",
        "s:\n  Data|base64: 'secret'\ncondition: s",
        {"Data": base64.b64encode(b"secret").decode()},
        True,
    ),
    (
        "base64offset|contains",
        "s:\n  CommandLine|base64offset|contains: 'http://'\ncondition: s",
        {"CommandLine": "powershell -e " + base64.b64encode(b"xxhttp://evil").decode()},
        True,
    ),
    (
        "wide|base64offset",
        "s:\n  CommandLine|wide|base64offset|contains: 'ping'\ncondition: s",
        {"CommandLine": base64.b64encode("a ping b".encode("utf-16-le")).decode()},
        True,
    ),
    (
        "utf16le|base64offset",
        "s:\n  CommandLine|utf16le|base64offset|contains: 'ping'\ncondition: s",
        {"CommandLine": base64.b64encode("a ping b".encode("utf-16-le")).decode()},
        True,
    ),
    (
        "utf16be|base64offset",
        "s:\n  CommandLine|utf16be|base64offset|contains: 'ping'\ncondition: s",
        {"CommandLine": base64.b64encode("a ping b".encode("utf-16-be")).decode()},
        True,
    ),
    (
        "windash slash",
        "s:\n  CommandLine|windash|contains: ' -exec '\ncondition: s",
        {"CommandLine": "x.exe /exec bypass"},
        True,
    ),
    (
        "windash en dash",
        "s:\n  CommandLine|windash|contains: ' -exec '\ncondition: s",
        {"CommandLine": "x.exe \u2013exec bypass"},
        True,
    ),
    ("exists true", "s:\n  ParentImage|exists: true\ncondition: s", {"ParentImage": "x"}, True),
    ("exists true missing", "s:\n  ParentImage|exists: true\ncondition: s", {"Image": "x"}, False),
    ("exists false", "s:\n  ParentImage|exists: false\ncondition: s", {"Image": "x"}, True),
    ("gt", "s:\n  Count|gt: 10\ncondition: s", {"Count": 11}, True),
    ("gt equal", "s:\n  Count|gt: 10\ncondition: s", {"Count": 10}, False),
    ("gte", "s:\n  Count|gte: 10\ncondition: s", {"Count": "10"}, True),
    ("lt", "s:\n  Count|lt: 10\ncondition: s", {"Count": 9.5}, True),
    ("lte", "s:\n  Count|lte: 10\ncondition: s", {"Count": 11}, False),
    ("cased", "s:\n  Name|cased: 'Admin'\ncondition: s", {"Name": "admin"}, False),
    ("cased exact", "s:\n  Name|cased: 'Admin'\ncondition: s", {"Name": "Admin"}, True),
    ("neq", "s:\n  Name|neq: 'system'\ncondition: s", {"Name": "bob"}, True),
    ("neq same", "s:\n  Name|neq: 'system'\ncondition: s", {"Name": "SYSTEM"}, False),
    (
        "fieldref",
        "s:\n  Image|fieldref: ParentImage\ncondition: s",
        {"Image": "C:\\a.exe", "ParentImage": "c:\\A.exe"},
        True,
    ),
    (
        "fieldref differs",
        "s:\n  Image|fieldref: ParentImage\ncondition: s",
        {"Image": "C:\\a.exe", "ParentImage": "c:\\b.exe"},
        False,
    ),
    (
        "fieldref endswith",
        "s:\n  Image|fieldref|endswith: Name\ncondition: s",
        {"Image": "C:\\a.exe", "Name": "a.exe"},
        True,
    ),
    (
        "null matches a missing field",
        "s:\n  OriginalFileName: null\ncondition: s",
        {"Image": "x"},
        True,
    ),
    (
        "null matches null",
        "s:\n  OriginalFileName: null\ncondition: s",
        {"OriginalFileName": None},
        True,
    ),
    (
        "null misses a value",
        "s:\n  OriginalFileName: null\ncondition: s",
        {"OriginalFileName": "x"},
        False,
    ),
    ("empty string", "s:\n  OriginalFileName: ''\ncondition: s", {"OriginalFileName": ""}, True),
    ("number", "s:\n  EventID: 4688\ncondition: s", {"EventID": "4688"}, True),
    ("number misses", "s:\n  EventID: 4688\ncondition: s", {"EventID": 4689}, False),
    ("boolean", "s:\n  Initiated: true\ncondition: s", {"Initiated": "true"}, True),
    (
        "list field values",
        "s:\n  Tags|contains: 'evil'\ncondition: s",
        {"Tags": ["good", "evil-ish"]},
        True,
    ),
    (
        "field name case and spaces",
        "s:\n  ThreatName|endswith: 'EICAR'\ncondition: s",
        {"Threat Name": "Virus:DOS/EICAR"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("detection", "fields", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_value_modifiers(
    tmp_path: Path, detection: str, fields: dict[str, Any], expected: bool
) -> None:
    assert matches(tmp_path, detection, fields) is expected


def test_expand_takes_placeholders_from_the_configuration(tmp_path: Path) -> None:
    detection = "s:\n  User|expand: '%admins%'\ncondition: s"
    placeholders = {"admins": ("root", "administrator")}
    assert matches(tmp_path, detection, {"User": "Administrator"}, placeholders=placeholders)
    assert not matches(tmp_path / "b", detection, {"User": "bob"}, placeholders=placeholders)


def test_expand_inside_a_longer_value(tmp_path: Path) -> None:
    detection = "s:\n  Path|expand|startswith: '%share%\\secret'\ncondition: s"
    placeholders = {"share": ("\\\\files01",)}
    assert matches(
        tmp_path, detection, {"Path": "\\\\FILES01\\secret\\x"}, placeholders=placeholders
    )


def test_keywords_search_the_whole_event(tmp_path: Path) -> None:
    engine = sigma_engine(
        tmp_path,
        rule_yaml(
            "keywords:\n  - 'segfault'\n  - 'core dumped'\ncondition: keywords",
            logsource="product: linux",
        ),
    )
    from garrison.detection.records import LogSource  # noqa: PLC0415

    linux = LogSource(product="linux", service="syslog")
    hit = event({"message": "x"}, logsource=linux, raw="kernel: app[12]: SEGFAULT at 0")
    miss = event({"message": "x"}, logsource=linux, raw="all good")
    assert engine.evaluate(hit, seq=0)
    assert not engine.evaluate(miss, seq=1)


def test_matched_fields_explain_the_match(tmp_path: Path) -> None:
    engine = sigma_engine(
        tmp_path,
        rule_yaml(
            "s:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: 'whoami'\n"
            "f:\n  User: 'SYSTEM'\ncondition: s and not f"
        ),
    )
    found = engine.evaluate(
        event({"Image": "C:\\cmd.exe", "CommandLine": "cmd /c whoami", "User": "bob"}), seq=3
    )
    assert len(found) == 1
    assert found[0].matched_fields == {"Image": "C:\\cmd.exe", "CommandLine": "cmd /c whoami"}
    assert found[0].event_seqs == (3,)
    assert found[0].rule.author == "Tester"
