# Sourced by the image build scripts (build-litellm-image.sh, build-scale-images.sh).
# Prints one "deb URI SUITE main" line per Debian bookworm suite the host's apt sources use (one-line and deb822
# formats, skipping disabled entries), so the image comes from the same mirror the host uses.
host_debian_sources() {
  python3 - <<'PY'
import glob, os, re
want = ("bookworm", "bookworm-updates", "bookworm-security")
found = {}
def add(uri, suite, comps):
    if suite in want and "main" in comps and suite not in found:
        found[suite] = uri.rstrip("/")
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for path in files:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        continue
    for line in lines:
        line = line.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)  # drop [ options ]
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "deb":
            add(parts[1], parts[2], parts[3:])
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.lstrip().startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.split()
        if "deb" not in fields.get("types", []) or fields.get("enabled", ["yes"])[0].lower() == "no":
            continue
        for uri in fields.get("uris", []):
            for suite in fields.get("suites", []):
                add(uri, suite, fields.get("components", []))
for suite in want:
    if suite in found:
        print(f"deb {found[suite]} {suite} main")
PY
}

