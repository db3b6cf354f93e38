import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mergeOpenClawFile } from "../../src/clients/openclaw-merge-file.js";
import { openClawSettings } from "../../src/clients/openclaw.js";
import { tempDir } from "../support/cli.js";
import { readFileSync } from "node:fs";
import { compilePolicy } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { ROOT } from "../support/cli.js";

const FIXTURE = join(ROOT, "test/fixtures/clients/gateway.policy.yaml");
const map = compilePolicy(parsePolicy(readFileSync(FIXTURE, "utf8"), FIXTURE).policy, { policyFile: FIXTURE }).routeMap;
const settings = (port: number) => openClawSettings(map, `http://127.0.0.1:${port}/v1`);

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir("gatewayctl-ocbak-")));
afterEach(async () => cleanup());

describe("--merge backups", () => {
  it("keeps the first original once, numbers later backups, makes none for an unchanged merge", async () => {
    const file = join(dir, "openclaw.json");
    const original = '// my settings\n{ gateway: { port: 18789 } }\n';
    await writeFile(file, original, { mode: 0o640 });

    const first = await mergeOpenClawFile({ file, settings: settings(4000) });
    expect(first).toMatchObject({ backup: `${file}.gatewayctl.orig`, original: `${file}.gatewayctl.orig`, unchanged: false, created: false });
    expect(await readFile(`${file}.gatewayctl.orig`, "utf8")).toBe(original);
    expect((await stat(`${file}.gatewayctl.orig`)).mode & 0o777).toBe(0o600);
    expect(first.content).toContain(`before gatewayctl's first merge: ${file}.gatewayctl.orig`);

    const same = await mergeOpenClawFile({ file, settings: settings(4000) });
    expect(same).toMatchObject({ unchanged: true });
    expect(same.backup).toBeUndefined();

    const before2 = await readFile(file, "utf8");
    const second = await mergeOpenClawFile({ file, settings: settings(4001) });
    expect(second.backup).toBe(`${file}.gatewayctl.bak.1`);
    expect(await readFile(`${file}.gatewayctl.bak.1`, "utf8")).toBe(before2);
    const before3 = await readFile(file, "utf8");
    const third = await mergeOpenClawFile({ file, settings: settings(4002) });
    expect(third.backup).toBe(`${file}.gatewayctl.bak.2`);
    expect(await readFile(`${file}.gatewayctl.bak.2`, "utf8")).toBe(before3);
    // the original is still the user's own file
    expect(await readFile(`${file}.gatewayctl.orig`, "utf8")).toBe(original);
    expect((await readdir(dir)).sort()).toEqual(["openclaw.json", "openclaw.json.gatewayctl.bak.1", "openclaw.json.gatewayctl.bak.2", "openclaw.json.gatewayctl.orig"]);
  });

  it("a new file: no backup made and none claimed; --out elsewhere leaves the user's file alone and backs nothing up", async () => {
    const file = join(dir, "new.json");
    const created = await mergeOpenClawFile({ file, settings: settings(4000) });
    expect(created).toMatchObject({ created: true, unchanged: false });
    expect(created.backup).toBeUndefined();
    expect(created.original).toBeUndefined();
    expect(await readFile(file, "utf8")).not.toMatch(/gatewayctl\.(orig|bak)/);

    const out = join(dir, "elsewhere.json");
    const copy = await mergeOpenClawFile({ file, out, settings: settings(4001) });
    expect(copy.backup).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(["elsewhere.json", "new.json"]);
  });
});
