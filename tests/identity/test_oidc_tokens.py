"""The ID token's checks, on tokens made here: signed with the real provider's own key but wrong in one claim,
or signed with a key the provider never published."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accord.config import OidcProvider as ProviderSettings
from accord.errors import NotAuthenticated
from accord.identity.oidc import ProviderCache, verify_id_token

NONCE = "the-nonce-we-sent"


@pytest.fixture
def meta_and_keys(oidc_provider):
    cache = ProviderCache()
    meta = cache.metadata(ProviderSettings(**oidc_provider.settings("uni")))
    return meta, cache.keys(meta, "Example University")


def claims(provider, **changes) -> dict:
    now = int(time.time())
    values = {
        "iss": provider.issuer,
        "sub": "42",
        "aud": provider.client_id,
        "exp": now + 600,
        "iat": now,
        "nonce": NONCE,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def verify(provider, meta_and_keys, token: str) -> dict:
    meta, keys = meta_and_keys
    return verify_id_token(
        token, keys, issuer=meta.issuer, client_id=provider.client_id, nonce=NONCE, now=datetime.now(UTC)
    )


def test_a_token_the_provider_signed_for_us_passes(oidc_provider, meta_and_keys):
    assert verify(oidc_provider, meta_and_keys, oidc_provider.sign(claims(oidc_provider)))["sub"] == "42"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"aud": "someone-else"}, "aud claim"),
        ({"iss": "http://127.0.0.1:1/openid"}, "iss claim"),
        ({"nonce": "another-nonce"}, "nonce claim"),
        ({"nonce": None}, "nonce claim"),
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"sub": None}, "sub claim"),
    ],
)
def test_a_token_wrong_in_one_claim_is_refused(oidc_provider, meta_and_keys, changes, says):
    token = oidc_provider.sign(claims(oidc_provider, **changes))
    with pytest.raises(NotAuthenticated, match=says):
        verify(oidc_provider, meta_and_keys, token)


def test_a_token_for_several_audiences_must_be_authorized_to_us(oidc_provider, meta_and_keys):
    both = [oidc_provider.client_id, "someone-else"]
    with pytest.raises(NotAuthenticated, match="another party"):
        verify(oidc_provider, meta_and_keys, oidc_provider.sign(claims(oidc_provider, aud=both, azp="someone-else")))
    token = oidc_provider.sign(claims(oidc_provider, aud=both, azp=oidc_provider.client_id))
    assert verify(oidc_provider, meta_and_keys, token)["azp"] == oidc_provider.client_id


def test_a_token_signed_with_another_key_is_refused(oidc_provider, meta_and_keys):
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = foreign.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    # The provider's key id on it, and under an id of its own: neither passes.
    for kid in (oidc_provider.kid(), "foreign-key"):
        with pytest.raises(NotAuthenticated, match="signature does not match"):
            verify(oidc_provider, meta_and_keys, oidc_provider.sign(claims(oidc_provider), key=pem, kid=kid))


def test_an_unsigned_or_symmetric_token_is_refused(oidc_provider, meta_and_keys):
    import jwt

    unsigned = jwt.encode(claims(oidc_provider), None, algorithm="none")
    hmac = jwt.encode(claims(oidc_provider), oidc_provider.client_secret, algorithm="HS256")
    for token in (unsigned, hmac, "not a token"):
        with pytest.raises(NotAuthenticated, match="signature does not match"):
            verify(oidc_provider, meta_and_keys, token)
