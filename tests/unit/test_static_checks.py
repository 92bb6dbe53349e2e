"""Static checks that CI runs with the tests: bandit (security) and ruff (style) are clean."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    return shutil.which(name, path=str(BIN)) or name


def test_bandit_finds_nothing_unjustified():
    result = subprocess.run([_tool("bandit"), "-q", "-r", "app", "config", "database", "sandbox", "entrypoint.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]
