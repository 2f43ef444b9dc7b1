#!/usr/bin/env bash
# Makes sure the MariaDB server the MySQL tests use is up; starts the local one if it is not.
set -euo pipefail
ping() { mariadb-admin --host=127.0.0.1 --user=root --silent ping >/dev/null 2>&1; }
if ! ping; then
  echo "MariaDB is not answering on 127.0.0.1:3306; starting it" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 60); do ping && break; sleep 1; done
fi
ping || { echo "MariaDB did not come up: the MySQL tests cannot run" >&2; exit 1; }
