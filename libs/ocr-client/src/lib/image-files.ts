import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** File extensions the CLI picks up from folders, with the MIME type it sends. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};

export function contentTypeForFile(file: string): string | undefined {
  return IMAGE_EXTENSIONS[extname(file).toLowerCase()];
}

export class InputPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputPathError';
  }
}

/**
 * Expands files and folders (recursively) into image files, sorted, no
 * duplicates. A named file is taken whatever its extension (the platform
 * rejects what it cannot read); files inside folders only with image extensions.
 */
export async function collectImageFiles(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && contentTypeForFile(full)) found.add(full);
    }
  };
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new InputPathError(`no such file or folder: ${path}`);
    if (info.isDirectory()) await walk(path);
    else found.add(path);
  }
  return [...found].sort();
}

/** The files larger than `limit` bytes, with their sizes (checked before anything is sent). */
export async function oversizedFiles(files: readonly string[], limit: number): Promise<Array<{ file: string; bytes: number }>> {
  const sizes = await Promise.all(files.map(async (file) => ({ file, bytes: (await stat(file)).size })));
  return sizes.filter((s) => s.bytes > limit);
}
