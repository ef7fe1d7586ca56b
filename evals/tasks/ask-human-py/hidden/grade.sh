set -euo pipefail
python3 -c 'from config.settings import DB_PORT, DB_HOST; assert DB_PORT == 6543, DB_PORT; assert DB_HOST == "db.internal"'
