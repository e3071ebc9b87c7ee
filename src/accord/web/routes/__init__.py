"""Browser pages, one module per domain."""


def pages():
    from accord.web.routes import admin, applications, catalog, downloads, identity, jobs, review, signatory, terms

    return [identity.router, catalog.router, admin.router, jobs.router, signatory.router, applications.router,
            review.router, downloads.router, terms.router]
