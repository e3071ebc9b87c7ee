"""accord manifest verify: check a manifest against the platform's detached signature, offline or with a server's
published certificate, as a licensee or anyone they show their files to would."""

from __future__ import annotations

from pathlib import Path

import typer

from accord.cli.files import read_limited
from accord.cli.main import err, out, runtime
from accord.errors import InvalidInput

app = typer.Typer(help="Signed manifests (what the platform delivered).", no_args_is_help=True)

MAX_BYTES = 512 * 1024 * 1024


@app.command()
def verify(
    manifest: Path = typer.Argument(..., help="the manifest (manifest.jsonl)"),
    signature: Path = typer.Argument(..., help="its signature (manifest.sig)"),
    cert: Path | None = typer.Option(None, "--cert", help="the platform's certificate (PEM)"),
    server: str | None = typer.Option(
        None, "--server", help="fetch the certificate this Accord server publishes (/api/v1/signing-key)"
    ),
) -> None:
    """Exit 0 and print the root hash if the platform signed exactly this manifest; else exit 1. The certificate
    is --cert, else --server's published one, else this server's own (from its data dir)."""
    from accord import signing

    if cert is not None and server is not None:
        raise InvalidInput("give --cert or --server, not both")
    data = read_limited(manifest, limit=MAX_BYTES, what="manifest")
    sig = read_limited(signature, limit=MAX_BYTES, what="signature")
    if cert is not None:
        pem = read_limited(cert, limit=MAX_BYTES, what="certificate")
    elif server is not None:
        import httpx

        try:
            response = httpx.get(f"{server.rstrip('/')}/api/v1/signing-key", timeout=30, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise InvalidInput(f"cannot reach {server}: {exc}") from None
        if response.status_code != 200:
            raise InvalidInput(f"{server} did not give its certificate (HTTP {response.status_code})")
        pem = response.content
    else:
        pem = signing.installed_cert(runtime().settings.data_dir, hint="pass --cert or --server").read_bytes()
    certificate = signing.load_cert(pem)
    if not signing.verifies(data, sig, certificate):
        err.print(
            f"[bold red]does not verify[/]: {manifest} was not signed with this signature by the platform "
            f"certificate {signing.fingerprint(certificate)} (altered, or another platform's)",
            emoji=False,
        )  # a fingerprint's ":AB:" is not an emoji
        raise typer.Exit(1)
    out.print(
        f"[green]OK[/]: signed by the platform certificate {signing.fingerprint(certificate)}; "
        f"root hash {signing.root_hash(data)}",
        emoji=False,
    )
