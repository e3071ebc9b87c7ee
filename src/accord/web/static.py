from pathlib import Path


def static_dir() -> str:
    return str(Path(__file__).parent / "static")
