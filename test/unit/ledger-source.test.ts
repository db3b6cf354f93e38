import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LEDGER_MODULE_SOURCE } from "../../src/compile/ledger-source.js";
import { LEDGER_CALLBACK, LEDGER_DIR_ENV, LEDGER_FILE, LEDGER_FILE_NAME, LEDGER_MODULE } from "../../src/artifact/types.js";
import { ROOT } from "../support/cli.js";

describe("ledger source", () => {
  it("equals templates/gatewayctl_ledger.py byte for byte", async () => {
    const template = await readFile(join(ROOT, "templates", LEDGER_FILE), "utf8");
    expect(LEDGER_MODULE_SOURCE).toBe(template);
  });
  it("defines the callback the config loads and reads the directory and file names the runtimes and report use", () => {
    expect(LEDGER_CALLBACK).toBe(`${LEDGER_MODULE}.proxy_handler_instance`);
    expect(LEDGER_MODULE_SOURCE).toContain("\nproxy_handler_instance = GatewayctlLedger(");
    expect(LEDGER_MODULE_SOURCE).toContain(`LEDGER_DIR_ENV = "${LEDGER_DIR_ENV}"`);
    expect(LEDGER_MODULE_SOURCE).toContain(`LEDGER_FILE_NAME = "${LEDGER_FILE_NAME}"`);
  });
});
