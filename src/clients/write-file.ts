import { chmod, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";

/** Writes a file atomically (temp file in the same directory, then rename), keeping an existing file's mode. */
export async function writeFileAtomic(file: string, content: string, defaultMode = 0o644): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  let mode = defaultMode;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // new file
  }
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
