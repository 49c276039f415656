// Which process holds the server end of a TCP connection, from Linux's /proc: the socket's inode
// in /proc/net/tcp (found by the two ports on 127.0.0.1), then the process among the candidates
// with a file descriptor on that socket. How a test sees which cluster worker answered a request
// without the server saying so.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LOOPBACK_HEX = '0100007F';

/** `0100007F:1F90` → `{ address: '0100007F', port: 8080 }`. */
function endpoint(field: string) {
  const [address = '', port = ''] = field.split(':');
  return { address, port: Number.parseInt(port, 16) };
}

/** The inode of the server-side socket of the connection 127.0.0.1:clientPort → 127.0.0.1:serverPort. */
function serverSocketInode(serverPort: number, clientPort: number): string | null {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = endpoint(fields[1] ?? '');
    const remote = endpoint(fields[2] ?? '');
    if (
      local.address === LOOPBACK_HEX &&
      local.port === serverPort &&
      remote.address === LOOPBACK_HEX &&
      remote.port === clientPort
    )
      return fields[9] ?? null;
  }
  return null;
}

/** The pid among `pids` that has the server end of that connection open, or null. */
export function connectionOwner(pids: number[], serverPort: number, clientPort: number): number | null {
  const inode = serverSocketInode(serverPort, clientPort);
  if (inode === null) return null;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
