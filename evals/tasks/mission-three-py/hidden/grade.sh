set -euo pipefail
test "$(python3 report.py)" = "$(printf 'east 7\nnorth 1\nwest 17')"
python3 -c 'from sales.model import Sale, parse_row; s = parse_row({"region": "x", "amount": "3"}); assert s == Sale("x", 3)'
python3 -c 'from sales.loader import load; assert len(load("data/sales.csv")) == 5'
