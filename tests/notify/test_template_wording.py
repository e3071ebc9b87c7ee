"""Every e-mail reads as a letter: after "Hello ...," the first sentence starts with a capital letter."""

import re
from pathlib import Path

import accord.notify

TEMPLATES = Path(accord.notify.__file__).parent / "templates"


def test_the_sentence_after_the_greeting_starts_with_a_capital():
    found = sorted(TEMPLATES.glob("*.txt")) + sorted(TEMPLATES.glob("*.html"))
    assert len(found) > 20
    lowercase = []
    for path in found:
        after = re.search(r"Hello[^\n]*,(?:</p>)?\s*(?:<p>)?\s*(\S)", path.read_text())
        if after and after.group(1).islower():
            lowercase.append(path.name)
    assert lowercase == []
