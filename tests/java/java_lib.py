# SPDX-License-Identifier: Apache-2.0
"""What the java inspector's tests and bench/java share: finding nmz, the
JVM, the built jars, and speaking Namazu's PB wire from Python."""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

SKIP = 77


def require(build_dir):
    """The paths the java parts need, or exits 77 when they were not built."""
    java = shutil.which("java")
    helper = os.path.join(build_dir, "plugins", "java", "nmz-java-helper.jar")
    if java is None or not os.path.exists(helper):
        print("java inspector not built (needs default-jdk-headless and libbyteman-java): skipped")
        sys.exit(SKIP)
    return java


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(proc_lines, pattern, timeout):
    """Waits until a line matching `pattern` is in proc_lines (a list a reader thread fills)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(proc_lines):
            match = re.search(pattern, line)
            if match:
                return match
        time.sleep(0.02)
    return None


def start_reader(stream, lines):
    import threading

    def read():
        for line in stream:
            lines.append(line.rstrip("\n"))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int32(field, value):
    return _varint(field << 3) + _varint(value)


def _bytes(field, value):
    if isinstance(value, str):
        value = value.encode()
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def call_request(entity, msg_id, function="Test.call", thread="main"):
    """An InspectorMsgReq EVENT FUNC_CALL, as Namazu's Java inspector sends it."""
    event = _int32(1, 1) + _bytes(2, _bytes(1, function))
    java = _bytes(1, thread) + _int32(2, 0) + _int32(4, 0)
    return (_bytes(1, entity) + _int32(2, 1) + _int32(3, os.getpid()) + _int32(4, 1) + _int32(5, msg_id) +
            _bytes(7, event) + _int32(9, 1) + _bytes(10, java))


def frame(message):
    return struct.pack("<I", len(message)) + message


def read_response(sock):
    """(res, msg_id) of the next InspectorMsgRsp, or None when the peer closed."""
    header = _read_exactly(sock, 4)
    if header is None:
        return None
    body = _read_exactly(sock, struct.unpack("<I", header)[0])
    fields, at = {}, 0
    while at < len(body):
        key, at = _read_varint(body, at)
        value, at = _read_varint(body, at)
        fields[key >> 3] = value
    return fields.get(1), fields.get(2)


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def agent_options(nmz, rules, entity, port, extra=()):
    out = subprocess.run([nmz, "inspectors", "java", "-print-agent-options", "-rules", rules, "-entity-id", entity,
                          "-pb-port", str(port), *extra], check=True, capture_output=True, text=True)
    return out.stdout.strip()
