# SPDX-License-Identifier: Apache-2.0
"""A throw-away single-node Slurm cluster: munged, slurmctld and slurmd from
the distribution's packages, every file (key, config, state, logs, sockets)
in one temp directory, their own ports. Clients find it through SLURM_CONF,
which start() sets in this process's environment (inherited by nmz, sbatch)."""
import os
import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlurmCluster:
    def __init__(self, top, cpus=2):
        self.dir = os.path.join(top, "slurm")
        os.makedirs(self.dir, mode=0o700)
        self.cpus = cpus
        self.procs = []
        self.node = socket.gethostname()

    def path(self, name):
        return os.path.join(self.dir, name)

    def log(self, name):
        try:
            with open(self.path(name)) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def start(self):
        key = self.path("munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        sock = self.path("munge.sock")
        munged = subprocess.Popen(["munged", "--foreground", "--force", "--key-file", key, "--socket", sock,
                                   "--pid-file", self.path("munged.pid"), "--log-file", self.path("munged.log"),
                                   "--seed-file", self.path("munged.seed")],
                                  stdout=subprocess.DEVNULL, stderr=open(self.path("munged.err"), "w"))
        self.procs.append(munged)
        self._wait(lambda: os.path.exists(sock), "munged's socket", "munged.err")
        for name in ["state", "spool"]:
            os.mkdir(self.path(name))
        conf = self.path("slurm.conf")
        with open(conf, "w") as f:
            f.write(f"""ClusterName=nmztest
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={self.path("state")}
SlurmdSpoolDir={self.path("spool")}
SlurmctldPidFile={self.path("slurmctld.pid")}
SlurmdPidFile={self.path("slurmd.pid")}
SlurmctldLogFile={self.path("slurmctld.log")}
SlurmdLogFile={self.path("slurmd.log")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
KillWait=5
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} State=UNKNOWN
PartitionName=nmz Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")
        os.environ["SLURM_CONF"] = conf
        self.procs.append(subprocess.Popen(["slurmctld", "-D", "-i", "-f", conf], stdout=subprocess.DEVNULL,
                                           stderr=open(self.path("slurmctld.err"), "w")))
        self.procs.append(subprocess.Popen(["slurmd", "-D", "-f", conf, "-N", self.node], stdout=subprocess.DEVNULL,
                                           stderr=open(self.path("slurmd.err"), "w")))
        self._wait(self._node_idle, "the node to be idle", "slurmd.log")

    def _node_idle(self):
        p = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True)
        return p.returncode == 0 and p.stdout.strip() == "idle"

    def _wait(self, condition, what, log, timeout=60):
        deadline = time.time() + timeout
        while not condition():
            if time.time() > deadline or any(p.poll() is not None for p in self.procs):
                raise AssertionError("Slurm: no " + what + "\n" + self.log(log) + self.log("slurmctld.log") +
                                     self.log("slurmd.err") + self.log("slurmctld.err"))
            time.sleep(0.1)

    def squeue(self):
        p = subprocess.run(["squeue", "-h", "-o", "%i %T"], capture_output=True, text=True)
        return p.stdout.split("\n") if p.returncode == 0 else None

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        os.environ.pop("SLURM_CONF", None)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()


def available():
    return os.geteuid() == 0 and all(shutil.which(b) for b in ["munged", "slurmctld", "slurmd", "sbatch", "sinfo"])
