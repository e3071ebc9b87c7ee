"""Signing in through OpenID Connect providers, the protocol half: discovery, the authorization request (code
flow with PKCE, state and nonce), the code exchange, and the ID token's checks against the provider's keys.
What an answer does to our accounts is in `oidc_accounts`."""

from __future__ import annotations

import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import httpx
from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from accord.config import OidcProvider
from accord.errors import AccordError, NotAuthenticated, NotFound

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client

TIMEOUT = 10.0  # seconds for each request to a provider
CACHE_SECONDS = 600  # discovery documents and key sets are read again after this
LEEWAY = 60  # seconds of clock difference allowed on exp and iat
# Asymmetric algorithms only: a provider's public key set must be what checks its tokens ("none" never is).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class ProviderUnavailable(AccordError):
    """The provider did not answer, or not with something usable: a sign-in through it cannot happen now."""


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class AuthRequest:
    url: str  # where the browser goes to sign in
    state: str
    nonce: str
    code_verifier: str


def provider_named(providers: list[OidcProvider], name: str) -> OidcProvider:
    for provider in providers:
        if provider.name == name:
            return provider
    raise NotFound(f"this site does not sign in through a provider called {name!r}")


def _get_json(url: str, what: str, display: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=True)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError):
        raise ProviderUnavailable(
            f"{display} cannot be reached just now (its {what} did not load); try again later, or log in with "
            "your password"
        ) from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{display} answered with something that is not its {what}")
    return data


class ProviderCache:
    """Discovery documents and key sets per issuer, kept for a few minutes. Keys are fetched again when a token
    names a key id the cached set does not hold (the provider rotated its keys)."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._metadata: dict[str, tuple[float, Metadata]] = {}
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def metadata(self, provider: OidcProvider) -> Metadata:
        with self._lock:
            found = self._metadata.get(provider.issuer)
        if found and time.monotonic() - found[0] < self.seconds:
            return found[1]
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = _get_json(url, "discovery document", provider.display_name)
        if data.get("issuer") != provider.issuer:
            # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
            raise ProviderUnavailable(
                f"{provider.display_name}'s discovery document names the issuer {data.get('issuer')!r}, not "
                f"{provider.issuer!r}: the site's configuration must give the issuer exactly"
            )
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(k)]
        if missing:
            raise ProviderUnavailable(f"{provider.display_name}'s discovery document lacks {', '.join(missing)}")
        offered = data.get("id_token_signing_alg_values_supported") or ["RS256"]
        meta = Metadata(
            issuer=data["issuer"],
            authorization_endpoint=data["authorization_endpoint"],
            token_endpoint=data["token_endpoint"],
            jwks_uri=data["jwks_uri"],
            userinfo_endpoint=data.get("userinfo_endpoint"),
            end_session_endpoint=data.get("end_session_endpoint"),
            algorithms=tuple(a for a in offered if a in ALGORITHMS) or ("RS256",),
        )
        with self._lock:
            self._metadata[provider.issuer] = (time.monotonic(), meta)
        return meta

    def keys(self, meta: Metadata, display: str, *, fresh: bool = False) -> KeySet:
        with self._lock:
            found = self._keys.get(meta.jwks_uri)
        if found and not fresh and time.monotonic() - found[0] < self.seconds:
            return found[1]
        data = _get_json(meta.jwks_uri, "key set", display)
        try:
            keys = KeySet.import_key_set(cast(Any, data))
        except (JoseError, ValueError, KeyError, TypeError):
            raise ProviderUnavailable(f"{display}'s published key set cannot be read") from None
        with self._lock:
            self._keys[meta.jwks_uri] = (time.monotonic(), keys)
        return keys


def _authlib() -> tuple[Any, Any]:
    """Authlib's httpx client and its error, imported on first use: a process that signs nobody in (every CLI
    command) loads none of it, and Authlib 1.9's own notice that httpx is deprecated for httpx2 is not ours to
    print to the people using Accord."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.httpx_client import OAuth2Client, OAuthError
    return OAuth2Client, OAuthError


def _client(provider: OidcProvider, redirect_uri: str) -> OAuth2Client:
    client_class, _error = _authlib()
    client: OAuth2Client = client_class(
        client_id=provider.client_id,
        client_secret=provider.secret(),
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
        timeout=TIMEOUT,
    )
    return client


def authorization_request(provider: OidcProvider, meta: Metadata, redirect_uri: str) -> AuthRequest:
    """A fresh state, nonce and PKCE verifier, and the provider's URL carrying the state, nonce and challenge."""
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    return AuthRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def verify_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
    algorithms: tuple[str, ...] = ALGORITHMS,
    display: str = "the provider",
) -> dict[str, Any]:
    """The ID token's claims, once its signature checks against `keys` and it is this provider's, for this
    client, unexpired and the answer to this sign-in (its nonce)."""
    refused = f"the sign-in through {display} could not be verified"
    try:
        decoded = jwt.decode(token, keys, algorithms=list(algorithms))
    except (JoseError, ValueError):
        raise NotAuthenticated(f"{refused}: the ID token's signature does not match the provider's keys") from None
    claims = dict(decoded.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise NotAuthenticated(f"{refused}: the ID token has expired; please sign in again") from None
    except ClaimError as exc:
        raise NotAuthenticated(f"{refused}: the ID token's {exc.claim} claim is wrong or missing") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise NotAuthenticated(f"{refused}: the ID token was issued to another party (azp)")
    return claims


def _key_id(token: str) -> str | None:
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return None
    return kid if isinstance(kid, str) else None


def _has_key(keys: KeySet, kid: str | None) -> bool:
    return kid is None or any(key.kid == kid for key in keys)


def finish(
    provider: OidcProvider,
    meta: Metadata,
    cache: ProviderCache,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    nonce: str,
    now: datetime,
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) for tokens, verify the ID token and add what the userinfo
    endpoint says of the same subject. Returns the claims."""
    display = provider.display_name
    _client_class, OAuthError = _authlib()
    with _client(provider, redirect_uri) as client:
        try:
            token = client.fetch_token(
                meta.token_endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
        except OAuthError as exc:
            raise NotAuthenticated(
                f"{display} did not accept this sign-in ({exc.error}); please start again from the login page"
            ) from None
        except httpx.HTTPError:
            raise ProviderUnavailable(f"{display} cannot be reached just now; try again later") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise NotAuthenticated(f"{display} sent no ID token; it is not usable for signing in")
        keys = cache.keys(meta, display)
        kid = _key_id(id_token)
        if not _has_key(keys, kid):
            keys = cache.keys(meta, display, fresh=True)
        claims = verify_id_token(
            id_token,
            keys,
            issuer=meta.issuer,
            client_id=provider.client_id,
            nonce=nonce,
            now=now,
            algorithms=meta.algorithms,
            display=display,
        )
        if meta.userinfo_endpoint:
            try:
                response = client.get(meta.userinfo_endpoint)
                response.raise_for_status()
                info = response.json()
            except (httpx.HTTPError, ValueError):
                raise ProviderUnavailable(f"{display} did not say who signed in (its userinfo failed)") from None
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
                raise NotAuthenticated(f"{display}'s userinfo is about someone else than its ID token")
            claims = {**info, **claims}  # the signed token wins where both speak
    return claims
