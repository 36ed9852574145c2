"""The event configuration the readiness, drill and report tests share."""

from __future__ import annotations

from pathlib import Path

SCENARIO = """
event:
  id: congress
  name: National Congress
  timezone: Asia/Ho_Chi_Minh
  start: 2026-06-01 00:00
  end: 2026-06-03 00:00
organisation:
  units:
    - {id: comms, name: Communications, leader: lima}
    - {id: cyber, name: Cybersecurity, leader: lima}
  people:
    - {id: lima, name: Lima, unit: comms, role: leader,
       contacts: {phone: "+84 24 3825 0000", email: lima@example.org}}
    - {id: echo, name: Echo, unit: comms, role: engineer}
services:
  - {id: uplink, name: Uplink, kind: link, criticality: critical, unit: comms,
     endpoints: ["tcp://192.0.2.10:443"]}
  - {id: portal, name: Portal, kind: website, criticality: high, unit: cyber}
readiness:
  plans:
    - id: link-cut
      name: Link cut
      trigger: {services: [uplink]}
      severity: sev1
      unit: comms
      priorities: [uplink]
      runbook:
        - {title: Switch to backup link, owner_role: network engineer, expected_minutes: 5}
        - {title: Call the carrier, owner_role: duty officer, expected_minutes: 10}
  inspections:
    - id: pre-event
      name: Pre-event inspection
      items: [Backup link switched over and back, UPS tested]
  drills:
    - id: rehearsal
      name: Rehearsal
      announced: false
      injects:
        - offset_minutes: 10
          kind: probe_failure
          title: Uplink down (drill)
          service: uplink
          severity: sev1
          expected: {acknowledge_minutes: 5, resolve_minutes: 30, plan: link-cut}
        - offset_minutes: 20
          kind: detection
          title: Defacement of the portal (drill)
          category: defacement
          source_address: 203.0.113.9
          expected: {acknowledge_minutes: 5}
reports:
  reporting_unit: Congress operations centre
  contact_person: lima
"""


def write_scenario(path: Path) -> Path:
    path.write_text(SCENARIO, encoding="utf-8")
    return path
