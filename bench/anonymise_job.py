"""The whole anonymisation job (privacy.anonymise: a published version into a new draft, BATCH files a commit)
over N generated scenes, where its per-image work runs: the job's own process, a local pool of 2, Dask with 2
workers. Run by bench/anonymise.py after its one-image part; alone:

    .venv/bin/python bench/anonymise_job.py           # 96 scenes
    .venv/bin/python bench/anonymise_job.py --quick   # 32 scenes

Scenes are 1024x768 JPEGs with the astronaut's or Grace Hopper's face (80-300 px photo width) on a generated
background (tests/privacy/scenes.py). The three runs anonymise the same version one after the other, and must give
the same files. Each run's time is the whole job, from start() to the draft filled: the pool's start-up (two spawned
processes loading ONNX Runtime and CenterFace) is in it, since every job starts its pool; the job's own process
and the Dask workers (`dask scheduler` and two `dask worker --nthreads 1 --no-nanny`, started here on 127.0.0.1,
as a cluster that is already up) have CenterFace loaded before the clock starts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import select  # noqa: E402

from accord import dbmigrate  # noqa: E402
from accord.identity import service as identity  # noqa: E402
from accord.privacy import anonymise, blur, faces  # noqa: E402
from accord.privacy.models import Anonymisation, AnonymisedFile  # noqa: E402
from accord.runtime import build  # noqa: E402

DASK = Path(sys.executable).with_name("dask")


def scenes(n: int) -> dict[str, bytes]:
    from tests.privacy.scenes import jpeg, scene

    rng = np.random.default_rng(11)
    out = {}
    for i in range(n):
        who = ("astronaut", "grace")[i % 2]
        width = int(rng.integers(80, 301))
        at = (int(rng.integers(0, 1024 - width)), int(rng.integers(0, 768 - width * 1.3)))
        out[f"{who}/s{i:03d}.jpg"] = jpeg(scene(who, width=width, at=at, seed=200 + i, size=(1024, 768)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and two one-thread workers; returns once both have joined and loaded CenterFace."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = (folder / "dask.log").open("w")
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    ]  # fmt: skip
    for n in range(2):
        procs.append(
            subprocess.Popen(
                [str(DASK), "worker", address, "--name", f"w{n}", "--nworkers", "1", "--nthreads", "1",
                 "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(folder / f"w{n}")],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
    with Client(address, timeout="30s", set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
        client.run(faces.detect, np.zeros((32, 32, 3), np.uint8))
    return address, procs


def one_run(folder: Path, version_id: int, curator, **where) -> tuple[float, dict[str, str], str, int]:
    from tests.conftest import make_settings

    rt = build(make_settings(folder, **where))
    try:
        t = time.perf_counter()
        with rt.session() as db:
            run_id = anonymise.start(rt, db, version_id, options=blur.Options(), actor=curator).id
        wall = time.perf_counter() - t
        with rt.session() as db:
            rows = db.scalars(select(AnonymisedFile).where(AnonymisedFile.anonymisation_id == run_id))
            shas = {r.path: r.sha256 for r in rows}
            run_ = db.get_one(Anonymisation, run_id)
            ran_on, found = run_.options["ran_on"], run_.faces
        return wall, shas, ran_on, found
    finally:
        rt.engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="32 scenes instead of 96")
    parser.add_argument("--scenes", type=int, help="this many scenes")
    args, _rest = parser.parse_known_args(argv)  # bench/anonymise.py passes its own arguments on
    n = args.scenes or (32 if args.quick else 96)
    from tests.conftest import make_settings
    from tests.privacy.scenes import dataset

    folder = Path(tempfile.mkdtemp(prefix="accord-anon-job-"))
    rt = build(make_settings(folder))
    dbmigrate.upgrade(rt.engine)
    _ds, version_id, _items = dataset(rt, folder, contents=scenes(n))
    with rt.session() as db:
        user = identity.create_user(db, email="curator@lab.example", name="Curator", password="a bench passphrase")
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, user.id), "curator", dataset_id=_ds)
        curator = identity.user_by_id(db, user.id)
        _ = list(curator.roles)
    rt.engine.dispose()
    print(f"\njob: {n} scenes (1024x768, one face each) in {folder}; load average {os.getloadavg()[0]:.1f}")
    faces.detect(np.zeros((32, 32, 3), np.uint8))  # the job's own process is warm, as a queue worker would be
    t = time.perf_counter()
    address, procs = start_cluster(folder)
    print(f"  Dask scheduler and 2 workers up and warm in {time.perf_counter() - t:.1f} s (not counted below)")
    t = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(faces.detect, [np.zeros((32, 32, 3), np.uint8)] * 2))
    print(f"  a pool of 2 alone starts and loads CenterFace in {time.perf_counter() - t:.1f} s (in its run below)")
    runs = {}
    try:
        runs["in the job's process"] = one_run(folder, version_id, curator, anonymise_workers=1)
        runs["local pool of 2"] = one_run(folder, version_id, curator, anonymise_workers=2)
        runs["Dask, 2 workers"] = one_run(folder, version_id, curator, dask_scheduler=address)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    base_wall, base_shas, _, _ = runs["in the job's process"]
    print(f"  {'':22} {'wall s':>7} {'images/s':>9} {'ratio':>6} {'faces':>6}  same files  ran on")
    for label, (wall, shas, ran_on, found) in runs.items():
        same = "yes" if shas == base_shas else f"NO ({sum(shas.get(p) != s for p, s in base_shas.items())} differ)"
        print(f"  {label:22} {wall:7.2f} {n / wall:9.2f} {base_wall / wall:5.2f}x {found:6}  {same:10}  {ran_on}")
    if "--keep" not in argv:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(run[1] == base_shas for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
