"""Probes: the only code in smtpkit that touches sockets, DNS and HTTPS.

They report raw facts (an errno, OpenSSL's reason and verify code, the bytes a
peer sent, certificates as DER) and import nothing from `smtpkit.knowledge`:
what the facts mean is said in `smtpkit.checks` (tests/test_layering.py).
"""
