"""schema.graphql is the contract frontends read; it must be what the code serves."""

from pathlib import Path


from gridhub.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_code():
    on_disk = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == schema.as_str() + "\n", "run `gridhub export-schema` and commit schema.graphql"


def test_migrations_match_models(tmp_path):
    """`makemigrations` finds nothing to do: every model change comes with its migration."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tortoise", "-c", "gridhub.settings.TORTOISE_ORM", "makemigrations"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"DATABASE_URL": f"sqlite://{tmp_path}/probe.sqlite3", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout, result.stdout
