/**
 * The build manifest: `build` lists the content hash of every file it wrote, so a reader of the output (sync, over a
 * NAS or a Git checkout being rewritten) can tell one consistent build from files of two. Pure.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { BUILD_MANIFEST_FILE } from "./types.js";

export interface BuildManifest {
  format: 1;
  generatedBy: string;
  files: Array<{ path: string; sha256: string; size: number }>;
}

const BuildManifestShape = z.object({
  format: z.literal(1),
  generatedBy: z.string(),
  files: z.array(z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })),
});

export function sha256Hex(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The manifest's text for the other files of a build (sorted by path, so the same build gives the same bytes). */
export function renderBuildManifest(files: ReadonlyArray<{ path: string; content: string }>, generatedBy: string): string {
  const manifest: BuildManifest = {
    format: 1,
    generatedBy,
    files: files
      .filter((f) => f.path !== BUILD_MANIFEST_FILE)
      .map((f) => ({ path: f.path, sha256: sha256Hex(f.content), size: Buffer.byteLength(f.content) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * What keeps a set of read files from being the build its manifest lists: an unreadable manifest, or a listed file
 * that is missing or has other content. Empty: every file is the manifest's. Files the manifest does not list (a
 * README beside the build) are not judged.
 */
export function buildManifestProblems(manifestText: string, read: ReadonlyArray<{ path: string; sha256: string }>): string[] {
  let manifest: BuildManifest;
  try {
    manifest = BuildManifestShape.parse(JSON.parse(manifestText)) as BuildManifest;
  } catch {
    return [`${BUILD_MANIFEST_FILE} is not a valid build manifest`];
  }
  const byPath = new Map(read.map((f) => [f.path, f.sha256]));
  const problems: string[] = [];
  for (const f of manifest.files) {
    const got = byPath.get(f.path);
    if (got === undefined) problems.push(`${f.path} is missing`);
    else if (got !== f.sha256) problems.push(`${f.path} is not the file ${BUILD_MANIFEST_FILE} lists`);
  }
  return problems;
}
