#!/bin/sh
# Run inside the dev container: pks devcontainer exec hello -- sh hello.sh
echo "${HELLO_GREETING:-hello} ($(uname -sm), workspace $(pwd))"
