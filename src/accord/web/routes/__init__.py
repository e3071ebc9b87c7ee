"""Browser pages, one module per domain."""


def pages():
    from accord.web.routes import admin, catalog, identity, jobs, signatory

    return [identity.router, catalog.router, admin.router, jobs.router, signatory.router]
