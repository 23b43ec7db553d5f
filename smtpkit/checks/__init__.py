"""Checks: turn what a probe saw into Steps with Findings.

`session.diagnose` (connection, TLS, AUTH, send), `ports.check_ports` (the port x
mode matrix) and `domain.check_domain` (MX, SPF, DKIM, DMARC, PTR) are the entry
points; the other modules each build one step.
"""
