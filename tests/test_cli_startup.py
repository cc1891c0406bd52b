"""Starting ``archive`` imports only what the command needs.

``archive verify --all`` on a small store takes about as long as Python takes to import the
extractor (trafilatura) and cryptography, so neither may be imported by ``archive.cli``
itself; commands that need them import them when they run.
"""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_importing_the_cli_imports_neither_the_extractor_nor_cryptography():
    out = run_python("import sys, archive.cli, archive.provenance.cite, archive.provenance.audit\n"
                     "print(sorted(m for m in ('trafilatura', 'cryptography', 'archive.provenance.keys', 'archive.export',"
                     " 'archive.cli.keys', 'archive.cli.export', 'archive.text.extract') if m in sys.modules))")
    assert out == "[]"


def test_lazy_command_groups_read_as_ordinary_commands():
    out = run_python("import sys\nfrom archive.cli import cli\n"
                     "assert 'keys' in cli.commands and 'archive.cli.keys' not in sys.modules\n"
                     "assert 'archive.provenance.keys' not in sys.modules\n"
                     "from archive.cli.keys import keys_cli\n"
                     "assert cli.commands['keys'] is keys_cli and cli.commands.get('export').name == 'export'\n"
                     "assert cli.commands.get('nope') is None and 'nope' not in cli.commands\n"
                     "print(sorted(cli.commands) == sorted(cli.list_commands(None)), len(cli.commands))")
    assert out.startswith("True ")
    assert int(out.split()[1]) >= 17


def test_the_library_modules_do_not_import_click():
    # The command groups live in the cli_*.py modules; the library stays usable without click.
    out = run_python("import sys, archive.store, archive.watch, archive.provenance.keys, archive.export\n"
                     "print(sorted(m for m in sys.modules if m == 'click' or m.startswith('click.')))")
    assert out == "[]"
