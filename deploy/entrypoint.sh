#!/bin/sh
# The container's entry point: `perche service NAME`, NAME from the first argument or $SERVICE.
#   (no argument)            perche service "$SERVICE"  (default: web)
#   catalog | registration | teams | schedule | judging | publishing | qa | notify | web
#                            perche service NAME  (web listens on 0.0.0.0:$WEB_PORT, default 8000)
#   anything else            perche ARGS...  (e.g. `load events/x.toml`, `organiser create EMAIL`)
set -eu
name="${1:-${SERVICE:-web}}"
case "$name" in
    web)
        exec perche service web --host 0.0.0.0 --port "${WEB_PORT:-8000}" ;;
    catalog | registration | teams | schedule | judging | publishing | qa | notify)
        exec perche service "$name" ;;
    *)
        exec perche "$@" ;;
esac
