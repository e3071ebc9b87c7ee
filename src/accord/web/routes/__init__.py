"""Browser pages, one module per domain."""


def pages():
    from accord.web.routes import admin, applications, catalog, identity, jobs, review, signatory

    return [identity.router, catalog.router, admin.router, jobs.router, signatory.router, applications.router,
            review.router]
