set -euo pipefail
test "$(node src/main.js)" = '{"host":"localhost","port":"8080","debug":"true"}'
node --input-type=module -e 'import * as m from "./src/parse.js"; if (typeof m.parse !== "function" || "default" in m) { console.error("exports:", Object.keys(m)); process.exit(1); }'
if grep -rn "export default" src; then exit 1; fi
