"""Bundled offline demo outlets (``sites/``) and the stdlib HTTP server that serves them.

``from crawler.demo import DemoServer, SITES_DIR`` works; the import is lazy so that
``python -m crawler.demo.server`` runs without a double-import warning.
"""

__all__ = ["DemoServer", "SITES_DIR"]


def __getattr__(name):
    if name in __all__:
        from crawler.demo import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
