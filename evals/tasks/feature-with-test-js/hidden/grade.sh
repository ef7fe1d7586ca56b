set -euo pipefail
node --test .grader/discount.hidden.test.mjs
test "$(node src/cli.js MUG-2 10)" = "11.69"
test "$(node src/cli.js TEA-1 0)" = "4.50"
test -f test/discount.test.mjs
grep -q priceWithDiscount test/discount.test.mjs
node --test test/
