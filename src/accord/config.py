"""Settings: one object, built from ACCORD_* environment variables or passed in directly (tests)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that must never protect a real deployment (they appear in docs and examples).
SAMPLE_SECRETS = {"change-me", "secret", "dev", "demo"}


class Smtp(BaseModel):
    host: str = "127.0.0.1"
    port: int = 1025
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    sender: str = "Accord <accord@localhost>"


# What each of our names for a claim is called at a provider, unless its entry says otherwise.
DEFAULT_CLAIMS = {
    "email": "email",
    "email_verified": "email_verified",
    "name": "name",
    "affiliation": "eduperson_scoped_affiliation",
}


class OidcProvider(BaseModel):
    """An OpenID Connect provider people may sign in through (an institution, a federation's proxy)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")  # in the URLs: /login/oidc/<name>
    display_name: str
    issuer: str  # discovery is read from <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: SecretStr | None = None
    client_secret_file: Path | None = None  # instead of client_secret: a file holding it (a mounted secret)
    scopes: list[str] = ["openid", "email", "profile"]
    claims: dict[str, str] = {}  # our name -> the provider's claim, over DEFAULT_CLAIMS
    # Its affiliation claim counts as evidence in the institutional check, for these affiliations.
    trusted: bool = False
    trusted_affiliations: list[str] = ["member", "staff", "faculty", "student", "employee"]

    @model_validator(mode="after")
    def _check(self) -> OidcProvider:
        if "openid" not in self.scopes:
            raise ValueError(f"OIDC provider {self.name}: its scopes must include openid")
        if bool(self.client_secret) == bool(self.client_secret_file):
            raise ValueError(f"OIDC provider {self.name}: give one of client_secret and client_secret_file")
        unknown = set(self.claims) - set(DEFAULT_CLAIMS)
        if unknown:
            raise ValueError(f"OIDC provider {self.name}: unknown claims {sorted(unknown)}; use {list(DEFAULT_CLAIMS)}")
        return self

    def claim(self, ours: str) -> str:
        return self.claims.get(ours, DEFAULT_CLAIMS[ours])

    def secret(self) -> str:
        if self.client_secret_file:
            return self.client_secret_file.read_text().strip()
        return self.client_secret.get_secret_value() if self.client_secret else ""


def parse_smtp_url(url: str, default_sender: str) -> Smtp:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+starttls") or not parts.hostname:
        raise ValueError("ACCORD_SMTP_URL must look like smtp://user:pass@host:port or console://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return Smtp(
        host=parts.hostname,
        port=parts.port or 25,
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(unquote(parts.password)) if parts.password else None,
        starttls=parts.scheme == "smtp+starttls" or query.get("starttls") in ("1", "true", "yes"),
        sender=query.get("sender", default_sender),
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None  # None: SQLite file under data_dir
    storage_url: str | None = None  # None: blob folder under data_dir; s3://bucket/prefix for S3
    s3_endpoint_url: str | None = None  # e.g. a MinIO or moto server; None: AWS defaults
    redis_url: str | None = None  # set: jobs go through Redis instead of the SQLite queue
    secret_key: SecretStr | None = None  # None: generated on first run into data_dir
    base_url: str = "http://127.0.0.1:8000"
    demo: bool = False
    jobs_immediate: bool = False  # run jobs inline (tests, one-off CLI use)
    smtp: Smtp = Smtp()
    # smtp://user:pass@host:587?starttls=1&sender=... overrides `smtp`; console:// prints mail instead of
    # sending it. Unset in demo mode means console://, so a demo needs no mail server.
    smtp_url: str | None = None
    audit_mail_to: list[str] = []  # witnesses beyond the admins for the daily audit checkpoint mail
    session_ttl: timedelta = timedelta(days=14)
    link_ttl: timedelta = timedelta(minutes=15)
    # Behind nginx: loose blob files are answered with X-Accel-Redirect: <prefix>/<ab>/<sha256>, an internal
    # location aliased to the blob folder, so nginx sends the bytes. None: the app sends them.
    accel_redirect_prefix: str | None = None
    max_upload_bytes: int = 2 * 1024**3
    # Failed logins before further attempts must wait (doubling waits, never a lock): for an account from one
    # address (strict), for an account from all addresses, and from one address over all accounts.
    login_max_failures: int = 5
    login_account_failures: int = 20
    login_address_failures: int = 30
    # Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the real client; without this,
    # behind nginx every user would share the proxy's address for login throttling.
    trusted_proxies: list[str] = []
    # Sign-in through OpenID Connect providers: a JSON list in ACCORD_OIDC_PROVIDERS, one OidcProvider each.
    oidc_providers: list[OidcProvider] = []
    hash_workers: int = 0  # 0: one per CPU core
    # Prometheus metrics at /metrics (requests, latency, bytes, queue depth, outbox backlog): off by default, and
    # when on, answered only to these addresses or CIDR ranges (empty: to anyone who can reach the server).
    metrics: bool = False
    metrics_from: list[str] = ["127.0.0.1/32", "::1/128"]
    # Anonymisation: with a scheduler (tcp://host:8786) the per-image work runs on that Dask cluster; without
    # one, in a local pool of this many processes (0: one per CPU core; 1: in the worker's own process).
    dask_scheduler: str | None = None
    anonymise_workers: int = 0
    # Archive bombs. Image files are compressed already (JPEG, PNG: about 1:1 in a zip); even raw TIFF or BMP
    # of a plain background rarely passes 20:1, so 200:1 leaves a wide margin. A classic TIFF cannot pass
    # 4 GiB, the largest single image a dataset is likely to hold. The total is far above any dataset today.
    ingest_max_ratio: int = 200  # expanded : compressed, per entry over 1 MiB and over the whole archive
    ingest_max_entry_bytes: int = 4 * 1024**3
    ingest_max_total_bytes: int = 16 * 1024**4
    storage_min_free_bytes: int = 1024**3  # an ingest stops before it would leave less free in the blob store

    @model_validator(mode="after")
    def _refuse_sample_secret(self) -> Settings:
        if self.secret_key and not self.demo and self.secret_key.get_secret_value() in SAMPLE_SECRETS:
            raise ValueError("ACCORD_SECRET_KEY is a sample value; set a random secret (or unset it)")
        return self

    @model_validator(mode="after")
    def _unique_providers(self) -> Settings:
        names = [p.name for p in self.oidc_providers]
        if len(names) != len(set(names)):
            raise ValueError("ACCORD_OIDC_PROVIDERS: each provider needs a name of its own")
        return self

    @model_validator(mode="after")
    def _apply_smtp_url(self) -> Settings:
        if self.smtp_url is None and self.demo:
            self.smtp_url = "console://"
        if self.smtp_url and self.smtp_url != "console://":
            self.smtp = parse_smtp_url(self.smtp_url, self.smtp.sender)
        return self

    @property
    def mail_to_console(self) -> bool:
        return self.smtp_url == "console://"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgresql:// URLs mean psycopg 3, the driver we ship.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def secret(self) -> str:
        """The signing secret: configured, or generated once and kept in data_dir (never in the repo)."""
        if self.secret_key:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()
