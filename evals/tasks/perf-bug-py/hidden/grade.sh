set -euo pipefail
timeout 20 python3 .grader/check.py
