set -euo pipefail
rm -rf dist
bash build.sh
diff -u .grader/expected.txt dist/bundle.txt
