/**
 * Reading an input file with a size limit, checked before it is read: a hostile or mistaken input (a 50 MB policy,
 * a log piped into the wrong place) is refused at once with the limit, instead of taking gigabytes of memory.
 */
import { open } from "node:fs/promises";
import { InputError } from "./errors.js";

const MiB = 1024 * 1024;

/** The largest input of each kind gatewayctl reads. A 20,000-route policy is about 1.2 MiB. */
export const INPUT_LIMITS = {
  policy: 8 * MiB,
  /** config.yaml, route-map.json and the generated modules of a build */
  artifact: 32 * MiB,
  /** a dotenv secrets file */
  secrets: 1 * MiB,
  /** a client's own config file that gatewayctl merges into */
  clientFile: 16 * MiB,
} as const;

function mib(n: number): string {
  return `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB`;
}

/**
 * The file's text, or an InputError (code INPUT_TOO_LARGE, exit 2) when it is larger than `limit`. Errors of the
 * read itself (ENOENT, EACCES, EISDIR) are thrown as they are, for the caller's own message.
 */
export async function readTextWithin(file: string, limit: number, what: string): Promise<string> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    if (size > limit) {
      throw new InputError(`${file} is ${mib(size)}, more than the ${mib(limit)} a ${what} may be; nothing was read`, {
        code: "INPUT_TOO_LARGE",
        hint: `check that ${file} is the ${what} you meant`,
      });
    }
    // a file that grows while it is read (or a FIFO, which has no size) stops at the limit as well
    const buf = Buffer.allocUnsafe(Math.min(limit, Math.max(size, 64 * 1024)) + 1);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) {
        throw new InputError(`${file} grew past the ${mib(limit)} a ${what} may be while it was read; nothing was used`, { code: "INPUT_TOO_LARGE", hint: `check what writes ${file}` });
      }
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    await fh.close();
  }
}
