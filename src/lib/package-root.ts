import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The directory of gatewayctl's own package.json (the repository checkout or the installed package), found by
 * walking up from this module. Works the same from src/ (tests), dist/ (tsc) and the bundled dist/cli.js.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "gatewayctl") return (cached = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("gatewayctl: cannot find its own package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
