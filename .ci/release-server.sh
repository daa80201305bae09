# Sourced, not run: starts the release server on a free loopback port with a fresh key, and mints
# tokens with its `token` subcommand that are proven to work before a run trusts them (with a
# refused token every call is a 401, and a run proves nothing). Used by .ci/schemathesis and
# .ci/postman.
#
# Needs BINARY (the ccstore-server to run). Sets BASE (its address); `start [env VAR=value...]`,
# `stop` (also on exit), `working_token SUB` (prints a token that verify accepts).

if ! command -v curl >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl
fi

export CCSTORE_JWT_SECRET="ci-run-key-$(date +%s%N)-0123456789abcdef"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
server_pid=

start() {
    CCSTORE_BIND=127.0.0.1:$PORT RUST_LOG=warn "$@" "$BINARY" &
    server_pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "$BASE/openapi.json" && return 0
        sleep 0.05
    done
    echo "release-server: the server did not start" >&2
    return 1
}
stop() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; server_pid=; }
trap stop EXIT

working_token() {
    local token status
    token=$("$BINARY" token --sub "$1")
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$BASE/ccstore/v1/verify")
    if [[ $status != 200 ]]; then
        echo "release-server: the run's token is refused ($status); a run with it would prove nothing" >&2
        return 1
    fi
    printf '%s\n' "$token"
}
