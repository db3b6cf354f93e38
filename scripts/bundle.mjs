// Bundles the CLI into dist/cli.js (+ lazily loaded chunks in dist/chunks/) after tsc has type-checked and
// emitted dist/. One file instead of a few hundred modules makes `gatewayctl build` start close to bare Node;
// commands that need heavy code still load it lazily (code splitting keeps their `await import()` lazy).
// dockerode stays external: it is CommonJS with optional native add-ons and only `start/stop/status/logs` load it.
import { build } from "esbuild";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * zod re-exports all of its ~60 message locales (`z.locales`, half a megabyte of source that every start-up would
 * parse); gatewayctl speaks English and never touches `z.locales`, so that namespace keeps only `en` (which zod
 * itself configures by importing en.js directly).
 */
function englishOnlyZodLocales() {
  return {
    name: "english-only-zod-locales",
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};`,
        resolveDir: dirname(args.path),
        loader: "js",
      }));
    },
  };
}
await rm(join(root, "dist", "chunks"), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, "src", "cli.ts") },
  outdir: join(root, "dist"),
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["dockerode"],
  plugins: [englishOnlyZodLocales()],
  // bundled CommonJS dependencies call require(); give ESM output one
  banner: { js: 'import { createRequire as __gatewayctlCreateRequire } from "node:module"; const require = __gatewayctlCreateRequire(import.meta.url);' },
  legalComments: "linked",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});
