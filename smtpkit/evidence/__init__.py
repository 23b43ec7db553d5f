"""The evidence a person holds, read: a received message's journey and verdicts, and bounces.

Engines only (facts, not Findings): `headers` (bytes -> header fields, with
caps), `received` (the Received chain), `authres` (Authentication-Results,
Received-SPF, ARC sets), `bounce` (DSNs and text bounces), `requirements`
(the bulk-sender checklist). `smtpkit.checks.evidence` turns them into Steps.
"""
