"""Finding codes, one module per area; each module exposes ``SPECS: list[FindingSpec]``.

Modules here are discovered automatically by `smtpkit.knowledge.catalogue`, so
adding an area is adding a file.
"""
