/** The systemd unit `gatewayctl sync --print-systemd-unit` emits (rendering only; systemd-analyze checks it in e2e). */
import { describe, expect, it } from "vitest";
import { renderSystemdUnit, systemdQuote } from "../../src/runtime/sync-systemd.js";

describe("systemdQuote", () => {
  it("leaves plain paths alone, quotes spaces and quotes, doubles % (a systemd specifier)", () => {
    expect(systemdQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(systemdQuote("/srv/my gateway/p.yaml")).toBe('"/srv/my gateway/p.yaml"');
    expect(systemdQuote('/a"b')).toBe('"/a\\"b"');
    expect(systemdQuote("/srv/100%/p.yaml")).toBe("/srv/100%%/p.yaml");
    expect(systemdQuote("")).toBe('""');
  });
});

describe("renderSystemdUnit", () => {
  const base = { policyFile: "/etc/gatewayctl/gateway.policy.yaml", node: "/usr/bin/node", cli: "/opt/gatewayctl/dist/cli.js" };

  it("docker: waits for docker.service and the network, never for a mount; sync may fail", async () => {
    const unit = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///run/docker.sock" });
    expect(unit).toContain("ExecStartPre=-/usr/bin/node /opt/gatewayctl/dist/cli.js sync --policy /etc/gatewayctl/gateway.policy.yaml\n");
    expect(unit).toContain("ExecStart=/usr/bin/node /opt/gatewayctl/dist/cli.js start --policy /etc/gatewayctl/gateway.policy.yaml\n");
    expect(unit).toContain("After=network-online.target docker.service\n");
    expect(unit).toContain("Environment=DOCKER_HOST=unix:///run/docker.sock\n");
    expect(unit).not.toMatch(/^RequiresMountsFor=/m);
    expect(unit).not.toMatch(/\{\{[A-Z_]+\}\}/);
  });

  it("process: no docker.service, no DOCKER_HOST", async () => {
    const unit = await renderSystemdUnit({ ...base, runtime: "process", dockerHost: "unix:///run/docker.sock" });
    expect(unit).toContain("After=network-online.target\n");
    expect(unit).not.toContain("docker.service");
    expect(unit).not.toContain("DOCKER_HOST");
  });

  it("is deterministic for the same input", async () => {
    const a = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///x.sock" });
    const b = await renderSystemdUnit({ ...base, runtime: "docker", dockerHost: "unix:///x.sock" });
    expect(a).toBe(b);
  });
});
