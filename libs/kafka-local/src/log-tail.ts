import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `lines` lines of a file (reading at most `maxBytes` from its end); '' if absent. */
export function tailFile(file: string, lines: number, maxBytes = 64 * 1024): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (length < size) all.shift(); // the first line is probably cut
    while (all.length > 0 && all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}
