"""Browser pages, one module per domain."""


def pages():
    from accord.web.routes import (
        admin,
        api_docs,
        applications,
        catalog,
        consent,
        downloads,
        identity,
        jobs,
        review,
        signatory,
        terms,
        training,
    )

    # training before review: /review/training must not be taken for /review/{app_id}
    return [
        identity.router,
        catalog.router,
        admin.router,
        jobs.router,
        signatory.router,
        applications.router,
        training.router,
        review.router,
        downloads.router,
        terms.router,
        consent.router,
        api_docs.router,
    ]
