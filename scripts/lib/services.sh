# Shared by scripts/test, scripts/platform and scripts/fault-suite (sourced, never run): start
# PostgreSQL, RabbitMQ and tansu (a Kafka-protocol broker) when nothing listens on their ports,
# installing them first (Debian packages; tansu with cargo) when missing.
#
# Expects `set -euo pipefail` and PATH to include ~/.cargo/bin.

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() { # host port seconds name
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    port_open "$1" "$2" && return 0
    sleep 0.2
  done
  die "$4 is not accepting connections on $1:$2 after $3s"
}

apt_install() {
  say "installing $* (Debian packages)"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  if port_open 127.0.0.1 5432; then return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    # A cluster installed here is for tests only: trust loopback connections, as CI expects.
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    done
  fi
  say "starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 127.0.0.1 5432 30 PostgreSQL
}

start_rabbitmq() {
  if port_open 127.0.0.1 5672; then return 0; fi
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  say "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for_port 127.0.0.1 5672 90 RabbitMQ
}

start_tansu() { # host:port logfile
  local host=${1%%:*} port=${1##*:} log=$2
  if port_open "$host" "$port"; then return 0; fi
  if ! command -v tansu >/dev/null 2>&1; then
    say "installing tansu (Kafka-protocol broker; about 15 minutes, once per machine)"
    cargo install --locked tansu --features dynostore
  fi
  say "starting tansu on $host:$port (in-memory storage: it forgets its topics on restart)"
  # The memory engine needs no storage set-up and forgets everything on restart, which keeps
  # test runs independent. Always pass loopback listeners: the default is 0.0.0.0.
  nohup tansu broker \
    --listener-url "tcp://$host:$port" \
    --advertised-listener-url "tcp://$host:$port" \
    --storage-engine memory://tansu/ \
    >"$log" 2>&1 &
  # A broker outlives whoever started it (as PostgreSQL and RabbitMQ do).
  disown
  wait_for_port "$host" "$port" 30 "tansu (log: $log)"
}
