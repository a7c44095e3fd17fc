#!/bin/sh
# Meta's reference PDQ hasher over every file of a folder, in one process (as
# the reference CLI is meant to be run):  bench/ref-loop.sh DIR
# The binary is $PDQ_REFERENCE_BIN (see docs/bench.md for building it).
set -eu
exec "${PDQ_REFERENCE_BIN:?set PDQ_REFERENCE_BIN}" "$1"/*
