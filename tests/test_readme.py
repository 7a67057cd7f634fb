"""The README's example runs as written and prints what its comments say."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

RUNNER = """
import django
from django.conf import settings

namespace = {}
exec(open("settings_excerpt.py").read(), namespace)
settings.configure(
    INSTALLED_APPS=namespace["INSTALLED_APPS"],
    DOMAIN_SERVICES=namespace["DOMAIN_SERVICES"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    USE_TZ=True,
)
django.setup()
from django.core.management import call_command

import io

call_command("check", stdout=io.StringIO())
call_command("migrate", run_syncdb=True, verbosity=0)
exec(open("usage.py").read(), {})
"""


def readme_blocks() -> dict[str, str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    # Each block is named by its first comment, up to a colon: "# shop/interface.py: ..."
    return {block.splitlines()[0].lstrip("# ").split(":")[0].strip(): block for block in blocks}


def test_the_readme_example_runs_and_prints_what_it_promises(tmp_path):
    blocks = readme_blocks()
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(blocks["shop/models.py"])
    (tmp_path / "shop" / "interface.py").write_text(blocks["shop/interface.py"])
    (tmp_path / "shop" / "services.py").write_text(blocks["shop/services.py"])
    (tmp_path / "settings_excerpt.py").write_text(blocks["settings.py (excerpt)"])
    usage = blocks["anywhere"]
    (tmp_path / "usage.py").write_text(usage)
    (tmp_path / "run.py").write_text(textwrap.dedent(RUNNER))

    result = subprocess.run(
        [sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    promised = [m.strip() for m in re.findall(r"print\(.*\)\s+# (.*)", usage)]
    assert result.stdout.splitlines() == promised
