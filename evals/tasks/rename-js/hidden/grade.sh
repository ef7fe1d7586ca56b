set -euo pipefail
if grep -rn "getUser" --include='*.js' --exclude-dir=.grader . ; then echo "getUser is still there"; exit 1; fi
test "$(node app.js)" = "$(printf 'Hello, Ada!\nAda & Grace & ?')"
node --input-type=module -e 'import { fetchUser } from "./lib/users.js"; if (fetchUser(2)?.name !== "Grace") process.exit(1);'
