"""Download throughput and the cost of authorization, against baselines measured in the same run.

    .venv/bin/python bench/download.py                 # a 1 GiB file, 300 small files
    .venv/bin/python bench/download.py --gib 0.25      # a quicker run

It starts, on free loopback ports:
  accord          `accord serve` (granian) with a fresh data dir holding one dataset version
  nginx           Debian's nginx serving the same blob folder directly (the baseline), and proxying /dl/ to a
                  second Accord started with ACCORD_ACCEL_REDIRECT_PREFIX, so that Accord authorizes and nginx
                  sends the bytes (X-Accel-Redirect)
and prints, for the same 1 GiB file: MB/s through Accord, through nginx, through Accord + X-Accel-Redirect, and a
tar shard built on the fly; then a full `accord download` of the small files against curl fetching the same links;
then 1 KiB Range requests per second at 1, 8 and 32 concurrent clients (what authorizing one request costs).
Needs nginx (`apt-get install nginx`) and curl. Everything lives in a temp dir removed at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ACCORD = str(Path(sys.executable).parent / "accord")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def build_catalogue(data: Path, src: Path, gib: float, small: int) -> str:
    """One dataset: a large file (kept as a loose blob) and many small ones; a licensee with a token."""
    from accord import dbmigrate
    from accord.catalog import service as catalog
    from accord.config import Settings
    from accord.db import unit_of_work
    from accord.entitlements import service as entitlements
    from accord.identity import service as identity
    from accord.policy import service as policies
    from accord.policy.io import seed
    from accord.runtime import build

    (src / "small").mkdir(parents=True)
    chunk = os.urandom(64 * 1024 * 1024)
    left = int(gib * 1024**3)
    with open(src / "large.bin", "wb") as f:
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)
    for i in range(small):
        (src / "small" / f"{i:05d}.jpg").write_bytes(os.urandom(20_000))
    rt = build(Settings(data_dir=data, secret_key=secrets.token_urlsafe(32)))
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="bench", title="Bench", custodian="Lab", actor="cli")
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    catalog.ingest(rt, version.id, src, actor="cli")
    with rt.session() as db:
        catalog.publish(db, version.id, actor="cli")
        policies.set_policy(db, ds.id, seed("llvip"), actor="cli")
        user = identity.create_user(db, email="bench@lab.example", name="Bench", password="a bench passphrase")
        with unit_of_work(db):
            entitlements.grant(db, dataset_id=ds.id, user_id=user.id, policy_version=1, actor="cli")
        token = identity.create_api_token(db, user, name="bench").secret
    rt.engine.dispose()
    return token


def start_accord(data: Path, port: int, secret: str, **env) -> subprocess.Popen:
    environment = {
        **os.environ,
        "ACCORD_DATA_DIR": str(data),
        "ACCORD_SECRET_KEY": secret,
        "ACCORD_BASE_URL": f"http://127.0.0.1:{port}",
        **env,
    }
    proc = subprocess.Popen(
        [ACCORD, "serve", "--port", str(port), "--no-worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{port}/api/v1/datasets")
    return proc


def start_nginx(work: Path, port: int, blobs: Path, upstream: int) -> subprocess.Popen:
    conf = work / "nginx.conf"
    conf.write_text(f"""
daemon off; worker_processes 2; pid {work}/nginx.pid; error_log {work}/nginx.err warn;
events {{ worker_connections 1024; }}
http {{
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path {work}/t1; proxy_temp_path {work}/t2; fastcgi_temp_path {work}/t3;
  uwsgi_temp_path {work}/t4; scgi_temp_path {work}/t5;
  server {{
    listen 127.0.0.1:{port};
    location /blobs/ {{ alias {blobs}/; }}
    location /_accel/ {{ internal; alias {blobs}/; }}
    location /dl/ {{ proxy_pass http://127.0.0.1:{upstream}; proxy_buffering off; }}
  }}
}}
""")
    proc = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_until_up(f"http://127.0.0.1:{port}/blobs/")
    return proc


def curl_speed(url: str, runs: int = 3) -> float:
    """Best of `runs`: bytes per second as curl measures it (to /dev/null)."""
    speeds = []
    for _ in range(runs):
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download} %{http_code}", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if out[1] not in ("200", "206"):
            raise SystemExit(f"{url} answered {out[1]}")
        speeds.append(float(out[0]))
    return max(speeds)


def range_rate(url: str, clients: int, per_client: int) -> tuple[float, float]:
    """Requests per second and median latency (ms) of 1 KiB Range requests from `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        with httpx.Client(timeout=30) as http:
            mine = []
            for i in range(per_client):
                start = ((offset * per_client + i) * 4096) % (1 << 26)
                t = time.perf_counter()
                r = http.get(url, headers={"Range": f"bytes={start}-{start + 1023}"})
                mine.append(time.perf_counter() - t)
                assert r.status_code == 206 and len(r.content) == 1024, r.status_code
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=1.0, help="size of the large file")
    parser.add_argument("--small", type=int, default=300, help="number of 20 KB files for the full download")
    parser.add_argument("--requests", type=int, default=300, help="Range requests per concurrency level")
    args = parser.parse_args()
    if not shutil.which("nginx") or not shutil.which("curl"):
        raise SystemExit("this benchmark needs nginx and curl: apt-get install -y nginx curl")
    work = Path(tempfile.mkdtemp(prefix="accord-bench-dl-"))
    work.chmod(0o755)  # nginx's workers run as an unprivileged user and must read the blob folder
    procs: list[subprocess.Popen] = []
    try:
        data = work / "data"
        print(f"building a {args.gib} GiB file and {args.small} small files ...", flush=True)
        token = build_catalogue(data, work / "src", args.gib, args.small)
        secret = secrets.token_urlsafe(32)
        (data / "secret.key").write_text(secret)
        app_port, accel_port, nginx_port = free_port(), free_port(), free_port()
        procs.append(start_accord(data, app_port, secret))
        procs.append(start_accord(data, accel_port, secret, ACCORD_ACCEL_REDIRECT_PREFIX="/_accel"))
        procs.append(start_nginx(work, nginx_port, data / "blobs", accel_port))
        api = httpx.Client(base_url=f"http://127.0.0.1:{app_port}", headers={"Authorization": f"Bearer {token}"})
        listing = api.get("/api/v1/datasets/bench/versions/1.0/files", params={"limit": 5000}).json()
        large = next(f for f in listing["files"] if f["path"] == "large.bin")
        relative = next(p for p in (data / "blobs").rglob(large["sha256"])).relative_to(data / "blobs")
        size_mb = large["size"] / 1e6

        print(f"\none file of {size_mb:,.0f} MB, best of 3 (curl to /dev/null)")
        nginx = curl_speed(f"http://127.0.0.1:{nginx_port}/blobs/{relative.as_posix()}")
        ours = curl_speed(f"http://127.0.0.1:{app_port}{large['url']}")
        accel = curl_speed(f"http://127.0.0.1:{nginx_port}{large['url']}")
        shard = max(listing["shards"], key=lambda s: s["size"])
        shard_speed = curl_speed(f"http://127.0.0.1:{app_port}{shard['url']}")
        for name, speed in (
            ("nginx (baseline)", nginx),
            ("accord", ours),
            ("accord + X-Accel-Redirect", accel),
            (f"accord tar shard ({shard['size'] / 1e6:,.0f} MB)", shard_speed),
        ):
            print(f"  {name:34} {speed / 1e6:9,.0f} MB/s   ratio to nginx {speed / nginx:5.2f}")
        print(
            f"  goals: accord/nginx >= 0.9 ({'met' if ours / nginx >= 0.9 else 'NOT met'}); "
            f"X-Accel-Redirect ~ 1.0 ({accel / nginx:.2f})"
        )

        small = [f for f in listing["files"] if f["path"] != "large.bin"]
        target = work / "download"
        began = time.perf_counter()
        subprocess.run(
            [
                ACCORD,
                "download",
                "bench",
                "--to",
                str(target),
                "--server",
                f"http://127.0.0.1:{app_port}",
                "--token",
                token,
                "--workers",
                "4",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ours_full = time.perf_counter() - began
        plain = work / "curl"
        config = "".join(
            f'url = "http://127.0.0.1:{app_port}{f["url"]}"\noutput = "{plain / f["path"]}"\n' for f in listing["files"]
        )
        (work / "curl.conf").write_text(config)
        began = time.perf_counter()
        subprocess.run(
            [
                "curl",
                "-s",
                "--no-progress-meter",
                "--create-dirs",
                "--parallel",
                "--parallel-max",
                "4",
                "-K",
                str(work / "curl.conf"),
            ],
            check=True,
        )
        curl_full = time.perf_counter() - began
        print(f"\nwhole version ({len(small)} small files + the large one), 4 at a time")
        print(f"  accord download (resume + sha256 check) {ours_full:6.2f} s")
        print(
            f"  curl of the same links into files (no checks, no resume) {curl_full:6.2f} s   "
            f"ratio curl/accord {curl_full / ours_full:.2f}"
        )

        link = f"http://127.0.0.1:{app_port}{large['url']}"
        static = f"http://127.0.0.1:{nginx_port}/blobs/{relative.as_posix()}"
        print(
            "\n1 KiB Range requests: accord on a signed link (authorization + 1 KiB of file) against nginx serving "
            "the same file with no authorization (the client, in Python, and both servers share 2 cores)"
        )
        for clients in (1, 8, 32):
            per_client = max(args.requests // clients, 5)
            rate, median = range_rate(link, clients, per_client)
            base_rate, base_median = range_rate(static, clients, per_client)
            print(
                f"  {clients:3} clients: accord {rate:7,.0f} req/s ({1000 / rate:5.2f} ms each, median latency "
                f"{median:6.2f} ms); nginx {base_rate:7,.0f} req/s ({1000 / base_rate:5.2f} ms, median "
                f"{base_median:6.2f} ms); accord's extra cost {1000 / rate - 1000 / base_rate:5.2f} ms per request"
            )
        print("  goal: <= 2 ms per request")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
