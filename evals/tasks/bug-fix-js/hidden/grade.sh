set -euo pipefail
node --test .grader/range.test.mjs
test "$(node src/main.js)" = "0,1,2,3,4"
