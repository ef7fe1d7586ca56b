set -euo pipefail
grep ' tests/' .grader/fixture.sha256 | sha256sum --quiet -c -
python3 -m unittest -q 2>&1 | tail -3
cp .grader/test_hidden.py tests/test_hidden_grader.py
python3 -m unittest -q tests.test_hidden_grader
