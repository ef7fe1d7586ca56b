set -euo pipefail
test "$(bash wordfreq.sh .grader/words.txt 3)" = "$(printf '11 apple\n9 banana\n9 cherry')"
test "$(bash wordfreq.sh sample.txt 2)" = "$(printf '3 the\n1 and')"
