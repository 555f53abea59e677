#!/bin/sh
# The run's signature for nmz (`signature = "signature.sh"` in config.toml):
# the target's own outcome abstract that validate.sh wrote to RUN/signature
# (leaserace: the order in which the clients' writes were applied and
# whether an update was lost). bench/explore uses it for etcd too.
cat "$NMZ_WORKING_DIR/signature" 2>/dev/null || echo "no report"
