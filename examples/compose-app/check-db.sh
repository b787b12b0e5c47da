#!/bin/bash
# Run inside the app container: asks the db service for its line, by service name.
set -euo pipefail
exec 3<>/dev/tcp/db/5432
head -n 1 <&3
