#!/bin/sh
# run.sh removed its namespaces and JVMs (netns.sh); what stays is the
# nodes' data (snapshots and transaction logs), of no use once judged.
rm -rf "$NMZ_WORKING_DIR"/zk1/data "$NMZ_WORKING_DIR"/zk2/data "$NMZ_WORKING_DIR"/zk3/data
