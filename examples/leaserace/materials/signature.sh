#!/bin/sh
# The run's signature for nmz (`signature = "signature.sh"` in config.toml):
# the target's own outcome abstract that validate.sh wrote to RUN/signature
# (leaserace: who wrote first and last, whether an update was lost, and
# whether the clients' writes alternated, came in bursts or one client's
# did not come for much of the run). bench/explore uses it for etcd too.
cat "$NMZ_WORKING_DIR/signature" 2>/dev/null || echo "no report"
