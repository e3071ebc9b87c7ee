"""Browser pages, one module per domain."""


def pages():
    from accord.web import ops
    from accord.web.routes import (
        admin,
        anonymise,
        api_docs,
        applications,
        audit,
        catalog,
        consent,
        downloads,
        identity,
        insights,
        jobs,
        obligations,
        oidc,
        privacy_desk,
        privacy_notices,
        privacy_public,
        record,
        review,
        signatory,
        terms,
        training,
    )

    # training before review: /review/training must not be taken for /review/{app_id}
    return [
        ops.router,
        identity.router,
        oidc.router,
        record.router,
        catalog.router,
        admin.router,
        audit.router,
        insights.router,
        jobs.router,
        signatory.router,
        applications.router,
        training.router,
        obligations.router,  # before review too: /review/obligations
        review.router,
        downloads.router,
        terms.router,
        privacy_public.router,
        privacy_notices.router,
        privacy_desk.router,
        anonymise.router,
        consent.router,
        api_docs.router,
    ]
