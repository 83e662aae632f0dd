"""The concurrent-writes bench, short: gunicorn with 2 workers, 8 clients writing for 8 s on a fresh SQLite file.

It fails on any 5xx, any gap in the invoice or credit-note numbers, or a failed `flask check`; here we also
make sure the clients really wrote (redirects after POSTs), so a bench that stopped writing cannot pass.
"""
import re
import subprocess
import sys
from pathlib import Path



ROOT = Path(__file__).resolve().parent.parent



def test_eight_clients_writing_under_gunicorn_get_no_5xx_and_no_number_gap():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "concurrent_writes.py"), "--seconds", "8",
                             "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "RÉSULTAT : OK" in output
    assert re.search(r"^numéros invoice : \d+ numéros.* -> OK$", output, re.M), output[-2000:]
    redirects = sum(int(m.group(1)) for m in re.finditer(r"^POST /(?!connexion)\S+\s+\d+\s+\d+\s+(\d+)", output, re.M))
    assert redirects > 0, output[-3000:]
