#!/usr/bin/env bash
# Installs every Debian package nmz needs to build, test and run its examples.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential meson ninja-build pkg-config cmake clang
  libboost-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  cppzmq-dev libzmq3-dev doctest-dev libfuse3-dev fuse3 libnetfilter-queue-dev libmnl-dev
  libcpp-httplib-dev
  iptables iproute2 procps python3 stress-ng util-linux
  podman runc conmon busybox-static tmux
  gcovr libjacoco-java default-jdk-headless libbyteman-java protobuf-compiler
  clang libfuzzer-14-dev
  etcd-server etcd-client
  zookeeper python3-kazoo
  slurmctld slurmd slurm-client munge
)
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
