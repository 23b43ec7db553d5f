"""The Content-Security-Policy of the pages `smtpkit app` and `smtpkit lab` serve: styles, fonts and scripts
from the server alone.

Voilà's page template links Font Awesome's style sheets on cdn.jsdelivr.net (in the app, and in JupyterLab's
Voilà preview of the start page, which also loads MathJax from cdnjs.cloudflare.com): every page opened told
a third party that this machine was using smtpkit, and waited for it offline. The icons are in Voilà's own
static files, so nothing shows differently without the CDN; the browser never sends the request. Inline
styles and scripts stay allowed (the widgets, JupyterLab and the results use them); frame-ancestors 'self'
is Jupyter's own.
"""

from __future__ import annotations

__all__ = ["CONTENT_SECURITY_POLICY", "server_config"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "frame-ancestors 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        # JupyterLab's Voilà preview also asked cdnjs.cloudflare.com for MathJax; JupyterLab's own MathJax is
        # served from the server. Inline scripts, eval and workers from blob: are what JupyterLab and the
        # widgets use; only other hosts are refused
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
    ]
)


def server_config() -> dict[str, object]:
    """A Jupyter server config (the JSON of a ``--config`` file) that sends the policy with every page."""
    return {"ServerApp": {"tornado_settings": {"headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY}}}}
