"""Probes: the only code in smtpkit that touches sockets and DNS."""
