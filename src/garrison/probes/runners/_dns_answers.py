"""DNS answers and expectations in one comparable text form."""

from __future__ import annotations

import ipaddress

import dns.message
import dns.rdata
import dns.rdatatype

_NAME_TYPES = frozenset({"CNAME", "NS", "MX", "SOA"})
MAX_ANSWERS = 100


def answer_texts(response: dns.message.Message, record_type: str) -> list[str]:
    """The answer section's records of ``record_type`` (any owner: CNAME chains are followed)."""
    wanted = dns.rdatatype.from_text(record_type)
    texts: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype != wanted:
            continue
        for rdata in rrset:
            texts.append(_rdata_text(rdata, record_type))
            if len(texts) >= MAX_ANSWERS:
                return sorted(set(texts))
    return sorted(set(texts))


def normalise_expected(value: str, record_type: str) -> str:
    """An expected answer as a user writes it, in the form :func:`answer_texts` gives."""
    value = value.strip()
    if record_type in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if record_type == "TXT":
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if record_type in _NAME_TYPES:
        return " ".join(_name(token) for token in value.split())
    return value


def _rdata_text(rdata: dns.rdata.Rdata, record_type: str) -> str:
    if record_type == "TXT":
        strings: list[bytes] = list(getattr(rdata, "strings", ()))
        return "".join(part.decode("utf-8", errors="replace") for part in strings)
    if record_type in ("A", "AAAA"):
        return str(ipaddress.ip_address(rdata.to_text()))
    if record_type in _NAME_TYPES:
        return " ".join(_name(token) for token in rdata.to_text().split())
    return rdata.to_text()


def _name(word: str) -> str:
    return word.rstrip(".").lower() if word != "." else word
