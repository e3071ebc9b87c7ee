"""Curator actions from a proven removal request to the deletion notices sent, against the e-mail workflow.

    .venv/bin/python bench/privacy_actions.py                 # 200 licensees, 48 images of two subjects
    .venv/bin/python bench/privacy_actions.py --licensees 50  # a quicker run

In a temp dir it builds a published dataset (two subjects, half the images each), N licensees who each downloaded a
random subset (through the real download log), and a removal request proven from its e-mail. Then a curator
works it in the real web app (TestClient, their session cookie), and every request their browser sends is
counted: the queue, the request page, the selection by subject label, the removal. The baseline is what the
same outcome takes by e-mail today, counted from the same data: find the files (1), rebuild and re-publish the
archive (1), and one hand-written message per licensee who received any of the files, listing exactly those
(the download log is the only record of who has which file; nobody who works by e-mail has one). It prints both
counts, their ratio, and the time the removal took to cut the version and write every notice. Goal: ≤ 5 actions.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licensees", type=int, default=200)
    parser.add_argument("--files", type=int, default=48, help="images in the dataset, half of them of subject 00")
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from tests.conftest import make_settings
    from tests.identity.helpers import log_in
    from tests.privacy.world import downloaded, make_world, proven_request

    from accord import dbmigrate
    from accord.privacy.models import DeletionNotice
    from accord.runtime import build
    from accord.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        rt = build(make_settings(Path(tmp)))
        dbmigrate.upgrade(rt.engine)
        world = make_world(rt, Path(tmp), count=args.files, licensees=args.licensees)
        rng = random.Random(7)
        for user in world.licensees.values():
            downloaded(rt, world, user, rng.sample(sorted(world.items), rng.randint(0, args.files // 4)))
        sub = proven_request(rt, world, labels=("00",))
        target = {p for p in world.items if p.startswith("subject-00/")}

        actions: list[str] = []
        client = TestClient(create_app(rt), base_url="http://testserver")
        log_in(client, world.curator.email)

        def act(method: str, path: str, **kw):
            actions.append(f"{method} {path}")
            response = client.request(method, path, **kw)
            assert response.status_code < 400, (path, response.status_code, response.text[:300])
            return response

        queue = act("GET", "/privacy")
        link = re.search(r'href="(/privacy/requests/\d+)"', queue.text).group(1)
        page = act("GET", link)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        act("POST", f"{link}/select", data={"csrf_token": token, "label": "00"}, follow_redirects=False)
        started = time.perf_counter()
        act("POST", f"{link}/accept", data={"csrf_token": token}, follow_redirects=False)
        took = time.perf_counter() - started
        with rt.session() as db:
            sent = db.scalar(select(func.count()).select_from(DeletionNotice))
            holders = db.scalar(select(func.count()).select_from(DeletionNotice).where(DeletionNotice.kind == "delete"))
        rt.engine.dispose()
    baseline = 2 + holders
    print(f"request #{sub.request.id}: {len(target)} files of subject 00, {args.licensees} licensees")
    print(f"accord: {len(actions)} curator actions ({', '.join(actions)})")
    print(f"        {sent} notices written ({holders} with files to delete) in {took:.2f} s")
    print(f"e-mail: {baseline} actions (find, re-publish, one message per licensee holding any of the files)")
    verdict = "met" if len(actions) <= 5 else "MISSED"
    print(f"ratio:  {baseline / len(actions):.1f}x fewer actions; goal <= 5 actions: {verdict}")
    return 0 if len(actions) <= 5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
