#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nmz submit k8s --emit: the Indexed Job manifest for every combination of
inspectors (capabilities, /dev/fuse, network namespace, storage volume,
JOB_COMPLETION_INDEX -> --shard), and clear errors for bad flags. Offline:
no cluster here."""
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_experiment import check, nmz  # noqa: E402

NEEDS = {"ethernet": {"NET_ADMIN", "SYS_ADMIN"}, "fs": {"SYS_ADMIN"}, "proc": {"SYS_NICE"}, "native": set()}


def emit(*flags):
    p = nmz("submit", "k8s", "-n", "1000", "--parallelism", "50", "--image", "registry.example/nmz:1", *flags,
            "--emit", "/storage/exp")
    check(p.returncode == 0, " ".join(flags) + ": " + p.stderr)
    return json.loads(p.stdout)


def check_manifest(job, inspectors, host_network):
    check(job["apiVersion"] == "batch/v1" and job["kind"] == "Job", job)
    spec = job["spec"]
    check(spec["completionMode"] == "Indexed" and spec["completions"] == 50 and spec["parallelism"] == 50, spec)
    pod = spec["template"]["spec"]
    check(pod["restartPolicy"] == "Never", pod)
    (container,) = pod["containers"]
    check(container["image"] == "registry.example/nmz:1", container)
    check(container["command"][:2] == ["sh", "-c"] and
          'nmz run --shard "$JOB_COMPLETION_INDEX/50" -n 1000 ' in container["command"][2] and
          container["command"][2].endswith("'/storage/exp'"), container["command"])
    caps = set(container["securityContext"]["capabilities"]["add"])
    want = set().union(*(NEEDS[i] for i in inspectors)) if inspectors else set()
    check(caps == want, "%s: capabilities %s, expected %s" % (inspectors, caps, want))
    check(not container["securityContext"].get("privileged", False), "privileged pods are not needed")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    check(volumes["storage"]["persistentVolumeClaim"]["claimName"] == "nmz-storage" and mounts["storage"] == "/storage/exp",
          (volumes, mounts))
    fuse = "fs" in inspectors
    check(("dev-fuse" in volumes) == fuse and ("dev-fuse" in mounts) == fuse, "%s: /dev/fuse %s" % (inspectors, volumes))
    if fuse:
        check(volumes["dev-fuse"]["hostPath"] == {"path": "/dev/fuse", "type": "CharDevice"} and
              mounts["dev-fuse"] == "/dev/fuse", volumes)
    unconfined = fuse or "ethernet" in inspectors
    check(("seccompProfile" in container["securityContext"]) == unconfined, container["securityContext"])
    check(pod.get("hostNetwork", False) == host_network, "%s: hostNetwork %s" % (inspectors, pod.get("hostNetwork")))


def main():
    names = sorted(NEEDS)
    for size in range(len(names) + 1):
        for combo in itertools.combinations(names, size):
            check_manifest(emit("--inspectors", ",".join(combo)) if combo else emit(), set(combo), False)
    check_manifest(emit("--inspectors", "ethernet", "--network", "host"), {"ethernet"}, True)
    job = emit("--name", "etcd-flaky", "--storage-claim", "shared-nfs")
    check(job["metadata"]["name"] == "etcd-flaky", job["metadata"])
    check(job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "shared-nfs", job)

    for flags, message in [
        (["--inspectors", "ethernet,disk"], 'inspector "disk": expected ethernet, fs, proc or native'),
        (["--network", "bridge"], 'flag -network: expected pod or host, got "bridge"'),
    ]:
        p = nmz("submit", "k8s", "-n", "10", "--parallelism", "2", "--image", "i", *flags, "--emit", "/s")
        check(p.returncode == 2 and message in p.stderr, p.stderr)
    p = nmz("submit", "k8s", "-n", "10", "--parallelism", "2", "--emit", "/s")
    check(p.returncode == 2 and "flag -image: required" in p.stderr, p.stderr)
    p = nmz("submit", "k8s", "-n", "10", "--parallelism", "2", "--image", "i", "/s")
    check(p.returncode == 2 and "pass --emit" in p.stderr, p.stderr)
    p = nmz("submit", "nomad", "/s")
    check(p.returncode == 2 and "slurm|k8s" in p.stderr, p.stderr)
    print("ok")


if __name__ == "__main__":
    main()
