set -euo pipefail
answer="$(tr -d '[:space:]' < ANSWER.txt)"
answer="${answer#./}"
test "$answer" = "shop/accounts/rules.py:address_ok" || { echo "wrong answer: $answer"; exit 1; }
sha256sum --quiet -c .grader/fixture.sha256
