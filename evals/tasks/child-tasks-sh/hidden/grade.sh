set -euo pipefail
test "$(tr -d '[:space:]' < TOTAL.txt)" = "8"
