#!/bin/bash
# SageMaker notebook lifecycle configuration (on start). Runs as root even with RootAccess
# Disabled, must finish within 5 minutes, and must download nothing: the VPC has no internet.
# Everything it needs is inline: the auto-stop script below is written from this file.
set -euo pipefail
# Overridable only so the test can run this script in a temporary directory.
dir=${AUTOSTOP_DIR:-/usr/local/share/autostop}
cron_file=${AUTOSTOP_CRON_FILE:-/etc/cron.d/autostop}
install -d -m 0755 "$dir"
cat > "$dir/autostop.py" <<'AUTOSTOP_PY'
__AUTOSTOP_PY__
AUTOSTOP_PY
touch "$dir/started"
cat > "$cron_file" <<CRON
*/5 * * * * root /usr/bin/python3 $dir/autostop.py --idle-seconds __IDLE_SECONDS__ --started-file $dir/started >> /var/log/autostop.log 2>&1
CRON
chmod 0644 "$cron_file"
