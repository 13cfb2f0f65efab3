#!/bin/bash
# SageMaker notebook lifecycle configuration (on start). Runs as root even with RootAccess
# Disabled, must finish within 5 minutes, and must download nothing: the VPC has no internet.
# Everything it needs is inline: the auto-stop script below is written from this file.
set -euo pipefail
dir=/usr/local/share/autostop
install -d -m 0755 "$dir"
cat > "$dir/autostop.py" <<'AUTOSTOP_PY'
__AUTOSTOP_PY__
AUTOSTOP_PY
touch "$dir/started"
cat > /etc/cron.d/autostop <<CRON
*/5 * * * * root /usr/bin/python3 $dir/autostop.py --idle-seconds __IDLE_SECONDS__ --started-file $dir/started >> /var/log/autostop.log 2>&1
CRON
chmod 0644 /etc/cron.d/autostop
