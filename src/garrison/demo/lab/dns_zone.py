"""The demo event's DNS zone: its names point at the lab (127.0.0.1) or documentation addresses."""

from __future__ import annotations

import dns.name
import dns.zone

ZONE_ORIGIN = "congress.example."
HIJACKED_NAME = "www.congress.example."
"""The name a hijacked resolver answers with :data:`HIJACK_ADDRESS`."""
HIJACK_ADDRESS = "203.0.113.66"
"""A foreign address (TEST-NET-3, never routed) standing for an attacker's server."""

_ZONE_TEXT = """
$TTL 300
@       IN SOA   ns1 hostmaster 2026101201 3600 600 604800 300
@       IN NS    ns1
@       IN A     127.0.0.1
@       IN AAAA  2001:db8::10
@       IN MX    10 mail
@       IN TXT   "v=spf1 ip4:127.0.0.1 -all"
ns1     IN A     127.0.0.1
www     IN A     127.0.0.1
www     IN AAAA  2001:db8::10
press   IN A     127.0.0.1
mail    IN A     127.0.0.1
intranet IN A    127.0.0.1
webmail IN CNAME mail
video   IN A     127.0.0.1
sip     IN A     127.0.0.1
"""


def demo_zone() -> dns.zone.Zone:
    """A fresh copy of the zone the lab's DNS server is authoritative for."""
    return dns.zone.from_text(_ZONE_TEXT, origin=dns.name.from_text(ZONE_ORIGIN), relativize=False)
